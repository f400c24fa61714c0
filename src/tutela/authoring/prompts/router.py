"""Prompt templates over REST: `/api/prompts`."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from tutela.authoring.prompts import service as prompts
from tutela.authoring.prompts.models import PromptTemplate
from tutela.authoring.prompts.schemas import TemplateContent, TemplateCreate, TemplateRead, VersionRead
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.auth.principal import UserPrincipal
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.exceptions import NotAllowed
from tutela.core.permissions.roles import Permission

router = APIRouter(prefix="/api/prompts", tags=["authoring"])


def _require_read(db: Session, principal: UserPrincipal) -> None:
    """Templates are read by whoever may edit them or generate with them."""
    for permission in (Permission.EDIT_PROMPTS, Permission.GENERATE_MODULES):
        if permissions.allows(db, org_id=principal.org_id, user_id=principal.user_id, permission=permission):
            return
    raise NotAllowed("your roles include neither 'prompts.edit' nor 'ai.generate_modules'")


def _read(db: Session, template: PromptTemplate) -> TemplateRead:
    current = prompts.version(db, org_id=template.org_id, template_id=template.id)
    return TemplateRead(
        id=template.id,
        name=template.name,
        current_version=template.current_version,
        created_at=template.created_at,
        current=VersionRead.model_validate(current),
        versions=prompts.version_numbers(db, org_id=template.org_id, template_id=template.id),
    )


@router.get("", response_model=list[TemplateRead])
def list_templates(principal: CurrentUser, db: RegionDB) -> list[TemplateRead]:
    """Every prompt template of the organization with its current version."""
    _require_read(db, principal)
    return [_read(db, t) for t in prompts.list_templates(db, org_id=principal.org_id)]


@router.post("", response_model=TemplateRead, status_code=status.HTTP_201_CREATED)
def create_template(
    body: TemplateCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> TemplateRead:
    """Write a new template (version 1)."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.EDIT_PROMPTS
    )
    content = TemplateContent.model_validate(body.model_dump(exclude={"name"}))
    template = prompts.create(
        db, org_id=principal.org_id, user_id=principal.user_id, name=body.name, content=content
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="prompt.created",
        target=f"prompt:{template.id}",
    )
    return _read(db, template)


@router.get("/{template_id}", response_model=TemplateRead)
def read_template(template_id: str, principal: CurrentUser, db: RegionDB) -> TemplateRead:
    """One template with its current version and the list of version numbers."""
    _require_read(db, principal)
    return _read(db, prompts.get(db, org_id=principal.org_id, template_id=template_id))


@router.post("/{template_id}/versions", response_model=TemplateRead, status_code=status.HTTP_201_CREATED)
def add_version(
    template_id: str, body: TemplateContent, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> TemplateRead:
    """Write a new version of a template; it becomes current, earlier ones stay readable."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.EDIT_PROMPTS
    )
    template = prompts.add_version(
        db, org_id=principal.org_id, template_id=template_id, user_id=principal.user_id, content=body
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="prompt.versioned",
        target=f"prompt:{template.id}",
        details={"version": template.current_version},
    )
    return _read(db, template)


@router.get("/{template_id}/versions/{version}", response_model=VersionRead)
def read_version(template_id: str, version: int, principal: CurrentUser, db: RegionDB) -> VersionRead:
    """One version of a template, as modules generated with it recorded it."""
    _require_read(db, principal)
    return VersionRead.model_validate(
        prompts.version(db, org_id=principal.org_id, template_id=template_id, number=version)
    )
