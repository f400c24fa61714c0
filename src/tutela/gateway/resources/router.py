"""Managing AI resources and their API keys."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from tutela.core import schemas
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound
from tutela.gateway.deployments import service as deployments
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources
from tutela.gateway.safety.external import configuration as external_config
from tutela.gateway.usage import pricing

router = APIRouter(prefix="/api/ai/resources", tags=["ai resources"])


def _require(principal: CurrentUser, db: RegionDB) -> None:
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_AI_RESOURCES
    )


@router.get("", response_model=list[schemas.ResourceRead])
def list_resources(principal: CurrentUser, db: RegionDB) -> list[schemas.ResourceRead]:
    """The organization's AI resources."""
    _require(principal, db)
    return [
        schemas.ResourceRead.model_validate(r) for r in resources.list_resources(db, org_id=principal.org_id)
    ]


@router.post("", response_model=schemas.ResourceRead, status_code=status.HTTP_201_CREATED)
def create_resource(
    body: schemas.ResourceCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.ResourceRead:
    """Create an AI resource in the organization's region."""
    _require(principal, db)
    resource = resources.create_resource(db, org_id=principal.org_id, name=body.name)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.resource_created",
        target=f"resource:{resource.id}",
    )
    return schemas.ResourceRead.model_validate(resource)


@router.get("/{resource_id}/keys", response_model=list[schemas.ApiKeyRead])
def list_keys(resource_id: str, principal: CurrentUser, db: RegionDB) -> list[schemas.ApiKeyRead]:
    """Keys of a resource (never their secrets)."""
    _require(principal, db)
    keys = resources.list_keys(db, org_id=principal.org_id, resource_id=resource_id)
    return [schemas.ApiKeyRead.model_validate(k) for k in keys]


@router.post("/{resource_id}/keys", response_model=schemas.TokenIssued, status_code=status.HTTP_201_CREATED)
def create_key(
    resource_id: str, body: schemas.ApiKeyCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.TokenIssued:
    """Create an API key; the key is in this response only."""
    _require(principal, db)
    expires = runtime.clock.now() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    key, raw = resources.create_key(
        db, org_id=principal.org_id, resource_id=resource_id, name=body.name, expires_at=expires
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.key_created",
        target=f"key:{key.id}",
        details={"resource": resource_id},
    )
    return schemas.TokenIssued(id=key.id, token=raw, expires_at=expires)


@router.delete("/{resource_id}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(
    resource_id: str, key_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> None:
    """Revoke an API key."""
    _require(principal, db)
    resources.get_resource(db, org_id=principal.org_id, resource_id=resource_id)
    resources.revoke_key(
        db, org_id=principal.org_id, key_id=key_id, now=runtime.clock.now(), resource_id=resource_id
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.key_revoked",
        target=f"key:{key_id}",
    )


def _price_read(row: Deployment) -> schemas.DeploymentPrice | None:
    price = pricing.price_of(row)
    if price is None:
        return None
    return schemas.DeploymentPrice(
        input_per_million=price.input_per_million,
        output_per_million=price.output_per_million,
        currency=price.currency,
    )


def _deployment_read(row: Deployment) -> schemas.DeploymentRead:
    return schemas.DeploymentRead(
        id=row.id,
        resource_id=row.resource_id,
        name=row.name,
        provider=row.provider,
        model=row.model,
        options=dict(row.options),
        routing=schemas.DeploymentRouting.model_validate(row.routing) if row.routing else None,
        price=_price_read(row),
        has_stored_key=row.sealed_api_key is not None,
        created_at=row.created_at,
    )


@router.get("/{resource_id}/deployments", response_model=list[schemas.DeploymentRead])
def list_deployments(resource_id: str, principal: CurrentUser, db: RegionDB) -> list[schemas.DeploymentRead]:
    """Deployments of a resource (upstream keys are never returned)."""
    _require(principal, db)
    resources.get_resource(db, org_id=principal.org_id, resource_id=resource_id)
    rows = deployments.list_deployments(db, org_id=principal.org_id, resource_id=resource_id)
    return [_deployment_read(d) for d in rows]


@router.post(
    "/{resource_id}/deployments", response_model=schemas.DeploymentRead, status_code=status.HTTP_201_CREATED
)
def create_deployment(
    resource_id: str,
    body: schemas.DeploymentCreate,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> schemas.DeploymentRead:
    """Map a model name to a provider; an upstream key given here is stored encrypted."""
    _require(principal, db)
    resources.get_resource(db, org_id=principal.org_id, resource_id=resource_id)
    row = deployments.create(
        runtime,
        db,
        registry=default_registry(),
        org_id=principal.org_id,
        resource_id=resource_id,
        name=body.name,
        provider=body.provider,
        model=body.model,
        base_url=body.base_url,
        api_key_env=body.api_key_env,
        api_key=body.api_key,
        api_version=body.api_version,
        extra_options={"pii": body.pii} if body.pii else None,
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.deployment_created",
        target=f"deployment:{row.id}",
        details={"name": row.name, "provider": row.provider},
    )
    return _deployment_read(row)


@router.put("/{resource_id}/deployments/{deployment_id}/routing", response_model=schemas.DeploymentRead)
def set_routing(
    resource_id: str,
    deployment_id: str,
    body: schemas.DeploymentRouting,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> schemas.DeploymentRead:
    """Spread a deployment over weighted targets and give it ordered fallbacks (same resource only)."""
    _require(principal, db)
    row = deployments.get(db, org_id=principal.org_id, deployment_id=deployment_id)
    if row.resource_id != resource_id:
        raise NotFound(f"deployment {deployment_id!r} not found")
    row = deployments.set_routing(
        db,
        org_id=principal.org_id,
        deployment_id=deployment_id,
        targets=[(t.deployment, t.weight) for t in body.targets],
        fallbacks=list(body.fallbacks),
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.deployment_routing_set",
        target=f"deployment:{row.id}",
        details=body.model_dump(),
    )
    return _deployment_read(row)


@router.put("/{resource_id}/deployments/{deployment_id}/price", response_model=schemas.DeploymentRead)
def set_price(
    resource_id: str,
    deployment_id: str,
    body: schemas.DeploymentPrice,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> schemas.DeploymentRead:
    """Set a deployment's price per million tokens in and out: usage reports then estimate its cost."""
    _require(principal, db)
    _owned_deployment(db, principal.org_id, resource_id, deployment_id)
    row = pricing.set_price(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        deployment_id=deployment_id,
        input_per_million=body.input_per_million,
        output_per_million=body.output_per_million,
        currency=body.currency,
    )
    return _deployment_read(row)


@router.delete("/{resource_id}/deployments/{deployment_id}/price", status_code=status.HTTP_204_NO_CONTENT)
def clear_price(
    resource_id: str, deployment_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> None:
    """Remove a deployment's price (its usage then has no estimated cost)."""
    _require(principal, db)
    _owned_deployment(db, principal.org_id, resource_id, deployment_id)
    pricing.clear_price(
        runtime, db, org_id=principal.org_id, actor=principal.actor, deployment_id=deployment_id
    )


def _owned_deployment(db: RegionDB, org_id: str, resource_id: str, deployment_id: str) -> Deployment:
    row = deployments.get(db, org_id=org_id, deployment_id=deployment_id)
    if row.resource_id != resource_id:
        raise NotFound(f"deployment {deployment_id!r} not found")
    return row


@router.delete("/{resource_id}/deployments/{deployment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deployment(
    resource_id: str, deployment_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> None:
    """Remove a deployment and destroy its stored upstream key and safety service keys."""
    _require(principal, db)
    row = deployments.get(db, org_id=principal.org_id, deployment_id=deployment_id)
    if row.resource_id != resource_id:
        raise NotFound(f"deployment {deployment_id!r} not found")
    external_config.destroy_keys(runtime, db, org_id=principal.org_id, deployment_id=deployment_id)
    deployments.delete(runtime, db, org_id=principal.org_id, deployment_id=deployment_id)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.deployment_deleted",
        target=f"deployment:{deployment_id}",
    )
