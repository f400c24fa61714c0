"""Organization settings and the permission matrix."""

from __future__ import annotations

from fastapi import APIRouter

from tutela.core import schemas
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission, Role

router = APIRouter(prefix="/api/org", tags=["organization"])


@router.get("", response_model=schemas.OrganizationRead)
def read_organization(principal: CurrentUser, db: RegionDB) -> schemas.OrganizationRead:
    """The caller's organization."""
    return schemas.OrganizationRead.model_validate(organizations.get(db, org_id=principal.org_id))


@router.patch("", response_model=schemas.OrganizationRead)
def update_organization(
    body: schemas.OrganizationUpdate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.OrganizationRead:
    """Change organization settings (admins only): switch AI features off, screen documents for authoring."""
    permissions.require_admin(db, org_id=principal.org_id, user_id=principal.user_id)
    org = organizations.get(db, org_id=principal.org_id)
    if body.ai_enabled is not None and body.ai_enabled != org.ai_enabled:
        organizations.set_ai_enabled(db, org_id=org.id, enabled=body.ai_enabled)
        organizations.record(
            runtime,
            db,
            org_id=org.id,
            actor=principal.actor,
            action="org.ai_switched",
            details={"ai_enabled": body.ai_enabled},
        )
    level = body.authoring_document_filter
    if level is not None and level != org.authoring_document_filter:
        organizations.set_authoring_document_filter(db, org_id=org.id, level=level)
        organizations.record(
            runtime,
            db,
            org_id=org.id,
            actor=principal.actor,
            action="org.authoring_document_filter_changed",
            details={"authoring_document_filter": level},
        )
    return schemas.OrganizationRead.model_validate(org)


@router.get("/permissions", response_model=schemas.MatrixRead)
def read_matrix(principal: CurrentUser, db: RegionDB) -> schemas.MatrixRead:
    """The permission matrix: every role × every permission."""
    cells = permissions.matrix(db, org_id=principal.org_id)
    return schemas.MatrixRead(roles=list(Role), permissions=list(Permission), cells=cells)


@router.put("/permissions", response_model=schemas.MatrixRead)
def update_matrix(
    body: list[schemas.MatrixCellUpdate], principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.MatrixRead:
    """Change cells of the matrix (admins only)."""
    permissions.require_admin(db, org_id=principal.org_id, user_id=principal.user_id)
    for cell in body:
        permissions.set_cell(
            db, org_id=principal.org_id, role=cell.role, permission=cell.permission, allowed=cell.allowed
        )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="permissions.changed",
        details={"cells": [c.model_dump(mode="json") for c in body]},
    )
    return read_matrix(principal, db)
