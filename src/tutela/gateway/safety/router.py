"""REST for content filtering (permission `policies.edit`): blocklists, and each deployment's filter."""

from __future__ import annotations

from fastapi import APIRouter, status

from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.external import configuration as external_config
from tutela.gateway.safety.models import Blocklist
from tutela.gateway.safety.schemas import (
    BlocklistCreate,
    BlocklistItemCreate,
    BlocklistItemRead,
    BlocklistRead,
    ContentFilterRead,
    FilterSettings,
)

router = APIRouter(prefix="/api/ai", tags=["content filtering"])


def _require(principal: CurrentUser, db: RegionDB) -> None:
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.EDIT_POLICIES
    )


def _read(db: RegionDB, org_id: str, blocklist: Blocklist) -> BlocklistRead:
    items = safety.items_of(db, org_id=org_id, blocklist_id=blocklist.id)
    return BlocklistRead(
        id=blocklist.id,
        name=blocklist.name,
        description=blocklist.description,
        created_at=blocklist.created_at,
        items=[BlocklistItemRead.model_validate(i) for i in items],
    )


@router.get("/blocklists", response_model=list[BlocklistRead])
def list_blocklists(principal: CurrentUser, db: RegionDB) -> list[BlocklistRead]:
    """The organization's blocklists with their entries."""
    _require(principal, db)
    return [_read(db, principal.org_id, b) for b in safety.list_blocklists(db, org_id=principal.org_id)]


@router.post("/blocklists", response_model=BlocklistRead, status_code=status.HTTP_201_CREATED)
def create_blocklist(
    body: BlocklistCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> BlocklistRead:
    """A new blocklist of exact terms and (cost-checked) regular expressions."""
    _require(principal, db)
    blocklist = safety.create_blocklist(
        db, org_id=principal.org_id, name=body.name, description=body.description, items=body.items
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="safety.blocklist_created",
        target=f"blocklist:{blocklist.id}",
        details={"name": blocklist.name, "items": len(body.items)},
    )
    return _read(db, principal.org_id, blocklist)


@router.get("/blocklists/{blocklist_id}", response_model=BlocklistRead)
def get_blocklist(blocklist_id: str, principal: CurrentUser, db: RegionDB) -> BlocklistRead:
    """One blocklist with its entries."""
    _require(principal, db)
    blocklist = safety.get_blocklist(db, org_id=principal.org_id, blocklist_id=blocklist_id)
    return _read(db, principal.org_id, blocklist)


@router.delete("/blocklists/{blocklist_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_blocklist(blocklist_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Remove a blocklist no deployment uses."""
    _require(principal, db)
    blocklist = safety.delete_blocklist(db, org_id=principal.org_id, blocklist_id=blocklist_id)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="safety.blocklist_deleted",
        target=f"blocklist:{blocklist_id}",
        details={"name": blocklist.name},
    )


@router.post(
    "/blocklists/{blocklist_id}/items", response_model=BlocklistItemRead, status_code=status.HTTP_201_CREATED
)
def add_item(
    blocklist_id: str, body: BlocklistItemCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> BlocklistItemRead:
    """Add a term or a regular expression."""
    _require(principal, db)
    item = safety.add_item(db, org_id=principal.org_id, blocklist_id=blocklist_id, item=body)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="safety.blocklist_item_added",
        target=f"blocklist:{blocklist_id}",
        details={"item": item.id, "kind": item.kind},
    )
    return BlocklistItemRead.model_validate(item)


@router.delete("/blocklists/{blocklist_id}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_item(
    blocklist_id: str, item_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> None:
    """Remove one entry."""
    _require(principal, db)
    safety.remove_item(db, org_id=principal.org_id, blocklist_id=blocklist_id, item_id=item_id)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="safety.blocklist_item_removed",
        target=f"blocklist:{blocklist_id}",
        details={"item": item_id},
    )


@router.get(
    "/resources/{resource_id}/deployments/{deployment_id}/content-filter", response_model=ContentFilterRead
)
def get_content_filter(
    resource_id: str, deployment_id: str, principal: CurrentUser, db: RegionDB
) -> ContentFilterRead:
    """A deployment's content filter (the defaults, version 0, until changed)."""
    _require(principal, db)
    row = safety.deployment_of(
        db, org_id=principal.org_id, resource_id=resource_id, deployment_id=deployment_id
    )
    settings, version = safety.get_filter(db, org_id=principal.org_id, deployment_id=row.id)
    sealed = external_config.sealed_names(db, org_id=principal.org_id, deployment_id=row.id)
    return ContentFilterRead(
        deployment_id=row.id, deployment=row.name, settings=settings, version=version, sealed_keys=sealed
    )


@router.put(
    "/resources/{resource_id}/deployments/{deployment_id}/content-filter", response_model=ContentFilterRead
)
def put_content_filter(
    resource_id: str,
    deployment_id: str,
    body: FilterSettings,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ContentFilterRead:
    """Replace a deployment's content filter (fields left out take their defaults; service keys are
    write-only: one left out is kept while its service's kind and address are unchanged)."""
    _require(principal, db)
    row = safety.deployment_of(
        db, org_id=principal.org_id, resource_id=resource_id, deployment_id=deployment_id
    )
    version = external_config.replace_filter(
        runtime, db, org_id=principal.org_id, deployment_id=row.id, settings=body
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="safety.content_filter_updated",
        target=f"deployment:{row.id}",
        details={"version": version, "settings": body.model_dump()},
    )
    sealed = external_config.sealed_names(db, org_id=principal.org_id, deployment_id=row.id)
    return ContentFilterRead(
        deployment_id=row.id, deployment=row.name, settings=body, version=version, sealed_keys=sealed
    )
