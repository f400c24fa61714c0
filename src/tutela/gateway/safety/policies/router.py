"""REST for organization content policy rules (permission `policies.edit`), and evaluating a text."""

from __future__ import annotations

from fastapi import APIRouter, status

from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.gateway.safety.policies import service as policies
from tutela.gateway.safety.policies.models import PolicyRule
from tutela.gateway.safety.policies.schemas import EvaluateCreate, EvaluateRead, RuleRead, RuleWrite

router = APIRouter(prefix="/api/policies", tags=["content policies"])


def _require(principal: CurrentUser, db: RegionDB) -> None:
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.EDIT_POLICIES
    )


def _read(rule: PolicyRule) -> RuleRead:
    return RuleRead(
        id=rule.id,
        name=rule.name,
        kind=rule.kind,
        enabled=rule.enabled,
        version=rule.version,
        rule=dict(rule.config),
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


@router.get("/rules", response_model=list[RuleRead])
def list_rules(principal: CurrentUser, db: RegionDB) -> list[RuleRead]:
    """The organization's content policy rules."""
    _require(principal, db)
    return [_read(r) for r in policies.list_rules(db, org_id=principal.org_id)]


@router.post("/rules", response_model=RuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleWrite, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> RuleRead:
    """Add a rule (forbidden terms or pattern, required wording, personal data, reading level)."""
    _require(principal, db)
    rule = policies.create_rule(
        db, org_id=principal.org_id, name=body.name, definition=body.rule, enabled=body.enabled
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="policies.rule_created",
        target=f"policy_rule:{rule.id}",
        details={"name": rule.name, "kind": rule.kind, "version": rule.version, "enabled": rule.enabled},
    )
    return _read(rule)


@router.get("/rules/{rule_id}", response_model=RuleRead)
def get_rule(rule_id: str, principal: CurrentUser, db: RegionDB) -> RuleRead:
    """One rule."""
    _require(principal, db)
    return _read(policies.get_rule(db, org_id=principal.org_id, rule_id=rule_id))


@router.put("/rules/{rule_id}", response_model=RuleRead)
def update_rule(
    rule_id: str, body: RuleWrite, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> RuleRead:
    """Replace a rule; its version goes up and the change is audited."""
    _require(principal, db)
    rule = policies.update_rule(
        db,
        org_id=principal.org_id,
        rule_id=rule_id,
        name=body.name,
        definition=body.rule,
        enabled=body.enabled,
        now=runtime.clock.now(),
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="policies.rule_updated",
        target=f"policy_rule:{rule.id}",
        details={"name": rule.name, "kind": rule.kind, "version": rule.version, "enabled": rule.enabled},
    )
    return _read(rule)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Remove a rule."""
    _require(principal, db)
    rule = policies.delete_rule(db, org_id=principal.org_id, rule_id=rule_id)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="policies.rule_deleted",
        target=f"policy_rule:{rule_id}",
        details={"name": rule.name, "version": rule.version},
    )


@router.post("/evaluate", response_model=EvaluateRead)
def evaluate(body: EvaluateCreate, principal: CurrentUser, db: RegionDB) -> EvaluateRead:
    """The findings of the organization's rules on a text (the text is not stored)."""
    if not permissions.allows(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.GENERATE_MODULES
    ):
        _require(principal, db)
    return EvaluateRead(findings=policies.evaluate(db, org_id=principal.org_id, text=body.text))
