"""Reading and verifying the organization's audit log."""

from __future__ import annotations

from fastapi import APIRouter, Query

from tutela.core import schemas
from tutela.core.audit import service as audit
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=list[schemas.AuditEntryRead])
def list_entries(
    principal: CurrentUser,
    db: RegionDB,
    action: str | None = Query(default=None, max_length=80),
    limit: int = Query(default=100, ge=1, le=1000),
    before_seq: int | None = Query(default=None, ge=1),
) -> list[schemas.AuditEntryRead]:
    """Entries newest first, optionally filtered by action prefix."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.VIEW_AUDIT
    )
    entries = audit.list_entries(
        db, org_id=principal.org_id, action_prefix=action, limit=limit, before_seq=before_seq
    )
    return [schemas.AuditEntryRead.model_validate(e) for e in entries]


@router.get("/verify", response_model=schemas.AuditVerificationRead)
def verify(
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    anchor: str | None = Query(default=None, max_length=100, description="a head kept earlier, SEQ:HASH"),
) -> schemas.AuditVerificationRead:
    """Check the whole hash chain, and that a head recorded earlier (`anchor`) is still in it."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.VIEW_AUDIT
    )
    kept = audit.Anchor.parse(anchor) if anchor is not None else None
    result = audit.verify(db, key=organizations.audit_key(runtime), org_id=principal.org_id, anchor=kept)
    return schemas.AuditVerificationRead(
        ok=result.ok, entries=result.entries, problems=result.problems, head=str(result.head)
    )
