"""Prompt templates: create, add versions, read, and turn a version into generation instructions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.authoring.prompts.exceptions import TemplateNameTaken
from tutela.authoring.prompts.models import PromptTemplate, PromptTemplateVersion
from tutela.authoring.prompts.schemas import TemplateContent
from tutela.errors import NotFound
from tutela.storage.tenancy import get_owned, scoped

_LENGTHS = {
    "short": "Keep lessons short: a few sentences each.",
    "medium": "Write lessons of moderate length.",
    "long": "Write detailed lessons.",
}


def create(db: Session, *, org_id: str, user_id: str, name: str, content: TemplateContent) -> PromptTemplate:
    """A new template with its first version."""
    name = name.strip()
    if db.scalars(scoped(PromptTemplate, org_id).where(PromptTemplate.name == name)).first() is not None:
        raise TemplateNameTaken(f"a prompt template named {name!r} already exists", param="name")
    template = PromptTemplate(org_id=org_id, name=name, current_version=1, created_by=user_id)
    db.add(template)
    db.flush()
    _add_version(db, template=template, version=1, user_id=user_id, content=content)
    return template


def _add_version(
    db: Session, *, template: PromptTemplate, version: int, user_id: str, content: TemplateContent
) -> PromptTemplateVersion:
    row = PromptTemplateVersion(
        org_id=template.org_id,
        template_id=template.id,
        version=version,
        created_by=user_id,
        **content.model_dump(),
    )
    db.add(row)
    db.flush()
    return row


def add_version(
    db: Session, *, org_id: str, template_id: str, user_id: str, content: TemplateContent
) -> PromptTemplate:
    """Write a new version; it becomes current. Earlier versions stay as they were."""
    template = get(db, org_id=org_id, template_id=template_id)
    template.current_version += 1
    _add_version(db, template=template, version=template.current_version, user_id=user_id, content=content)
    return template


def get(db: Session, *, org_id: str, template_id: str) -> PromptTemplate:
    """One template of the organization."""
    return get_owned(db, PromptTemplate, template_id, org_id=org_id, what="prompt template")


def list_templates(db: Session, *, org_id: str) -> list[PromptTemplate]:
    """All templates, by name."""
    return list(db.scalars(scoped(PromptTemplate, org_id).order_by(PromptTemplate.name)))


def version(
    db: Session, *, org_id: str, template_id: str, number: int | None = None
) -> PromptTemplateVersion:
    """One version of a template (the current one by default)."""
    template = get(db, org_id=org_id, template_id=template_id)
    wanted = template.current_version if number is None else number
    found = db.scalars(
        scoped(PromptTemplateVersion, org_id).where(
            PromptTemplateVersion.template_id == template.id, PromptTemplateVersion.version == wanted
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"version {wanted} of prompt template {template_id!r} not found")
    return found


def get_version(db: Session, *, org_id: str, version_id: str) -> PromptTemplateVersion:
    """A version by its id."""
    return get_owned(db, PromptTemplateVersion, version_id, org_id=org_id, what="prompt template version")


def version_numbers(db: Session, *, org_id: str, template_id: str) -> list[int]:
    """Every version number of a template, oldest first."""
    stmt = (
        select(PromptTemplateVersion.version)
        .where(PromptTemplateVersion.org_id == org_id, PromptTemplateVersion.template_id == template_id)
        .order_by(PromptTemplateVersion.version)
    )
    return list(db.scalars(stmt))


def instructions_of(v: PromptTemplateVersion | None, extra: str = "") -> str:
    """The author instructions a version stands for, plus ad-hoc instructions of one request."""
    lines: list[str] = []
    if v is not None:
        if v.instructions.strip():
            lines.append(v.instructions.strip())
        if v.audience:
            lines.append(f"Audience: {v.audience}.")
        if v.tone:
            lines.append(f"Tone: {v.tone}.")
        if v.language:
            lines.append(f"Language: {v.language}.")
        if v.length in _LENGTHS:
            lines.append(_LENGTHS[v.length])
        if v.question_count:
            lines.append(f"Write {v.question_count} questions in total.")
        if v.question_types:
            lines.append("Question types to use: " + ", ".join(str(t) for t in v.question_types) + ".")
    if extra.strip():
        lines.append(extra.strip())
    return "\n".join(lines)
