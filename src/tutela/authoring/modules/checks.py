"""The report shown before publishing: grounding, safety and conformity.

Grounding is `generation.checks.check_grounding`. Safety classifies every generated text and applies the
organization's completion thresholds of the module's deployment (the defaults when never set; unlike the
gateway, no exemption for the extractive model: what is published is checked). Conformity evaluates the
organization's content policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tutela.authoring.generation.checks import Finding, check_grounding
from tutela.authoring.generation.schemas import Module
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.errors import NotFound
from tutela.gateway.deployments import service as deployments
from tutela.gateway.resources import service as resources
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.policies import service as policies
from tutela.gateway.safety.schemas import FilterSettings
from tutela.gateway.safety.service import CompiledFilter
from tutela.gateway.safety.verdicts import Segment, judge


class CheckNote(BaseModel):
    """How one family of checks went."""

    check: Literal["grounding", "safety", "conformity"]
    status: Literal["passed", "failed", "not_configured"]
    detail: str = ""


class Report(BaseModel):
    """Every finding and how each family of checks went."""

    passed: bool
    findings: list[Finding]
    notes: list[CheckNote]

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


def texts_of(module: Module) -> list[tuple[str, str]]:
    """(location, text) of every piece of generated text."""
    found = [("title", module.title), ("summary", module.summary)]
    found += [(f"learning_objectives[{i}]", o) for i, o in enumerate(module.learning_objectives)]
    for c, chapter in enumerate(module.chapters):
        found.append((f"chapters[{c}].title", chapter.title))
        for le, lesson in enumerate(chapter.lessons):
            found.append((f"chapters[{c}].lessons[{le}]", f"{lesson.title}\n{lesson.content}"))
    for i, q in enumerate(module.questions):
        found.append((f"questions[{i}]", "\n".join([q.stem, *q.options, *q.answer, q.explanation])))
    return [(where, text) for where, text in found if text]


def _filter_settings(db: Session, *, org_id: str, deployment: str) -> FilterSettings:
    """The completion thresholds the organization set on the deployment (defaults when never set)."""
    resource = resources.find_resource(db, org_id=org_id, name=resources.DEFAULT_RESOURCE)
    if resource is None:
        return FilterSettings()
    try:
        row = deployments.find(db, org_id=org_id, resource_id=resource.id, name=deployment)
    except NotFound:
        return FilterSettings()
    settings, _ = safety.get_filter(db, org_id=org_id, deployment_id=row.id)
    return settings


def check_safety(
    db: Session, *, org_id: str, deployment: str, texts: list[tuple[str, str]]
) -> tuple[CheckNote, list[Finding]]:
    """Generated text against the organization's content filter for completions of this deployment."""
    policy = CompiledFilter(settings=_filter_settings(db, org_id=org_id, deployment=deployment))
    scores = SafetyClassifier.load().classify([text for _, text in texts])
    findings = []
    for (where, text), score in zip(texts, scores, strict=True):
        verdict = judge([Segment(text)], [score], policy, direction="completion")
        for category, result in verdict.results.items():
            if result.get("filtered"):
                severity = result.get("severity", "detected")
                findings.append(
                    Finding(
                        rule=f"safety_{category}",
                        severity="error",
                        location=where,
                        message=f"{category} ({severity}) is over the organization's threshold",
                    )
                )
    return CheckNote(check="safety", status="failed" if findings else "passed"), findings


def check_conformity(
    db: Session, *, org_id: str, texts: list[tuple[str, str]]
) -> tuple[CheckNote, list[Finding]]:
    """Generated text against the organization's content policies (forbidden terms, personal data...)."""
    findings = [
        Finding(
            rule=f"policy:{found.rule_name}",
            severity="error",
            location=where,
            message=f'{found.message}: "{found.excerpt}" (characters {found.span[0]}-{found.span[1]})',
        )
        for where, text in texts
        for found in policies.evaluate(db, org_id=org_id, text=text)
    ]
    return CheckNote(check="conformity", status="failed" if findings else "passed"), findings


def run_checks(
    db: Session,
    *,
    org_id: str,
    module: Module,
    document: ExtractedDocument,
    deployment: str,
    others: Mapping[str, ExtractedDocument] | None = None,
) -> Report:
    """Check a module against its source (`others`: its documents by id, when it has several), the
    organization's content filter and its content policies."""
    findings = check_grounding(module, document, others)
    grounding_errors = any(f.severity == "error" for f in findings)
    notes = [CheckNote(check="grounding", status="failed" if grounding_errors else "passed")]
    texts = texts_of(module)
    for note, more in (
        check_safety(db, org_id=org_id, deployment=deployment, texts=texts),
        check_conformity(db, org_id=org_id, texts=texts),
    ):
        notes.append(note)
        findings += more
    return Report(passed=not any(f.severity == "error" for f in findings), findings=findings, notes=notes)
