"""Managing content policy rules and evaluating them: `evaluate(db, org_id=, text=)` is what checks call."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy.orm import Session

from tutela.gateway.safety.filtering_exceptions import InvalidPattern, PatternBudgetExceeded
from tutela.gateway.safety.policies.exceptions import RuleNameTaken
from tutela.gateway.safety.policies.models import PolicyRule
from tutela.gateway.safety.policies.rules import CompiledRule, compile_rule, evaluate_rules, parse_definition
from tutela.gateway.safety.policies.schemas import Finding, RuleDefinition
from tutela.storage.tenancy import get_owned, scoped

log = logging.getLogger(__name__)
MAX_RULES_PER_ORG = 200
EVALUATION_SECONDS = 2.0


def list_rules(db: Session, *, org_id: str) -> list[PolicyRule]:
    """Every rule of the organization, by name."""
    return list(db.scalars(scoped(PolicyRule, org_id).order_by(PolicyRule.name)))


def get_rule(db: Session, *, org_id: str, rule_id: str) -> PolicyRule:
    """One rule of the organization."""
    return get_owned(db, PolicyRule, rule_id, org_id=org_id, what="policy rule")


def _check_name(db: Session, *, org_id: str, name: str, rule_id: str | None = None) -> None:
    clash = db.scalars(scoped(PolicyRule, org_id).where(PolicyRule.name == name)).first()
    if clash is not None and clash.id != rule_id:
        raise RuleNameTaken(f"a policy rule named {name!r} already exists", param="name")


def create_rule(
    db: Session, *, org_id: str, name: str, definition: RuleDefinition, enabled: bool = True
) -> PolicyRule:
    """A new rule; patterns are checked for bounded cost first (InvalidPattern)."""
    if len(list_rules(db, org_id=org_id)) >= MAX_RULES_PER_ORG:
        raise InvalidPattern(f"an organization has at most {MAX_RULES_PER_ORG} policy rules")
    _check_name(db, org_id=org_id, name=name)
    compile_rule("new", name, definition)
    rule = PolicyRule(
        org_id=org_id, name=name, kind=definition.kind, config=definition.model_dump(), enabled=enabled
    )
    db.add(rule)
    db.flush()
    return rule


def update_rule(
    db: Session,
    *,
    org_id: str,
    rule_id: str,
    name: str,
    definition: RuleDefinition,
    enabled: bool,
    now: datetime,
) -> PolicyRule:
    """Replace a rule's definition; its version goes up by one."""
    rule = get_rule(db, org_id=org_id, rule_id=rule_id)
    _check_name(db, org_id=org_id, name=name, rule_id=rule.id)
    compile_rule(rule.id, name, definition)
    rule.name, rule.kind, rule.config, rule.enabled = name, definition.kind, definition.model_dump(), enabled
    rule.version += 1
    rule.updated_at = now
    db.flush()
    return rule


def delete_rule(db: Session, *, org_id: str, rule_id: str) -> PolicyRule:
    """Remove a rule."""
    rule = get_rule(db, org_id=org_id, rule_id=rule_id)
    db.delete(rule)
    db.flush()
    return rule


def compiled_rules(db: Session, *, org_id: str) -> list[CompiledRule]:
    """The organization's enabled rules, compiled (a stored rule that no longer compiles is skipped)."""
    out: list[CompiledRule] = []
    for row in list_rules(db, org_id=org_id):
        if not row.enabled:
            continue
        try:
            out.append(compile_rule(row.id, row.name, parse_definition(row.config)))
        except (InvalidPattern, ValueError):
            log.warning("policy rule %s no longer compiles; skipped", row.id)
    return out


def evaluate(db: Session, *, org_id: str, text: str) -> list[Finding]:
    """Findings of the organization's enabled rules on `text` (nothing is stored or logged).

    A hostile text that makes a pattern too slow yields one finding for that rule over the whole text.
    """
    rules = compiled_rules(db, org_id=org_id)
    return evaluate_compiled(rules, text)


def evaluate_compiled(rules: list[CompiledRule], text: str, *, local_only: bool = False) -> list[Finding]:
    """Run compiled rules with a time budget; a rule that runs out of time reports the whole text."""
    deadline = time.monotonic() + EVALUATION_SECONDS
    findings: list[Finding] = []
    for rule in rules:
        try:
            findings.extend(evaluate_rules([rule], text, local_only=local_only, deadline=deadline))
        except PatternBudgetExceeded:
            findings.append(
                Finding(
                    rule_id=rule.rule_id,
                    rule_name=rule.name,
                    kind=rule.kind,
                    span=(0, len(text)),
                    excerpt="",
                    message="the text could not be checked against this pattern in time",
                )
            )
    return findings
