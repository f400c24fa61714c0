"""Setting a deployment's PII pseudonymisation over REST."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.gateway.pii import service as pii
from tutela.gateway.pii.provider import PiiMode
from tutela.gateway.providers.registry import default_registry

router = APIRouter(prefix="/api/ai", tags=["ai resources"])


class PiiSetting(BaseModel):
    """``off`` sends texts as they are; ``pseudonymise`` swaps personal data for placeholders first."""

    model_config = ConfigDict(extra="forbid")

    pii: PiiMode


@router.put("/resources/{resource_id}/deployments/{deployment_id}/pii", response_model=PiiSetting)
def put_pii(
    resource_id: str,
    deployment_id: str,
    body: PiiSetting,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> PiiSetting:
    """Turn PII pseudonymisation before the upstream on or off for a deployment."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_AI_RESOURCES
    )
    row = pii.set_mode(
        db,
        registry=default_registry(),
        org_id=principal.org_id,
        resource_id=resource_id,
        deployment_id=deployment_id,
        mode=body.pii,
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.deployment_pii_changed",
        target=f"deployment:{row.id}",
        details={"pii": body.pii},
    )
    return body
