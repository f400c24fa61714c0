"""Admins set rate limits and token budgets for their organization's keys, resources, users and itself."""

from __future__ import annotations

from fastapi import APIRouter, status

from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.gateway.limits import service as limits
from tutela.gateway.limits.schemas import LimitRead, LimitSet, LimitValues

router = APIRouter(prefix="/api/ai/limits", tags=["ai limits"])


def _require(principal: CurrentUser, db: RegionDB) -> None:
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_AI_RESOURCES
    )


@router.get("", response_model=list[LimitRead])
def list_limits(principal: CurrentUser, db: RegionDB) -> list[LimitRead]:
    """Every rate limit and budget the organization set."""
    _require(principal, db)
    return [LimitRead.model_validate(row) for row in limits.list_limits(db, org_id=principal.org_id)]


@router.put("", response_model=LimitRead)
def set_limits(body: LimitSet, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> LimitRead:
    """Set (replace) the limits of one key, resource, user or the organization; applies within seconds."""
    _require(principal, db)
    values = LimitValues.model_validate(body.model_dump(include=set(LimitValues.model_fields)))
    row = limits.set_limits(
        db, org_id=principal.org_id, scope=body.scope, subject_id=body.subject_id, values=values
    )
    limits.record_change(runtime, db, actor=principal.actor, row=row)
    return LimitRead.model_validate(row)


@router.delete("/{limit_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_limits(limit_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Remove one subject's limits."""
    _require(principal, db)
    row = limits.delete_limits(db, org_id=principal.org_id, limit_id=limit_id)
    limits.record_change(runtime, db, actor=principal.actor, row=row, removed=True)
