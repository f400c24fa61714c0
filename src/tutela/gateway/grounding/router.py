"""Registering the customer databases an AI resource's `data_sources` may query (type `postgresql`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.gateway.grounding import databases
from tutela.gateway.grounding.models import DatabaseSource

router = APIRouter(prefix="/api/ai/resources", tags=["ai resources"])


class DatabaseSourceCreate(BaseModel):
    """A PostgreSQL source: the connection string is sealed on arrival and never shown again."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64)
    type: str = Field(default="postgresql", pattern="^postgresql$")
    connection_string: str = Field(min_length=1, max_length=2048)
    query: str = Field(min_length=1, max_length=8000)
    statement_timeout_ms: int = 5000


class DatabaseSourceRead(BaseModel):
    """A registered source, without its connection string."""

    id: str
    name: str
    type: str = "postgresql"
    query: str
    statement_timeout_ms: int
    created_at: datetime


def _read(row: DatabaseSource) -> DatabaseSourceRead:
    return DatabaseSourceRead(
        id=row.id,
        name=row.name,
        query=row.query,
        statement_timeout_ms=row.statement_timeout_ms,
        created_at=row.created_at,
    )


def _require(principal: CurrentUser, db: RegionDB) -> None:
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_AI_RESOURCES
    )


@router.post(
    "/{resource_id}/data-sources", response_model=DatabaseSourceRead, status_code=status.HTTP_201_CREATED
)
def create_data_source(
    resource_id: str, body: DatabaseSourceCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> DatabaseSourceRead:
    """Register a database the resource's `data_sources` may name."""
    _require(principal, db)
    row = databases.register(
        runtime,
        db,
        org_id=principal.org_id,
        resource_id=resource_id,
        name=body.name,
        connection_string=body.connection_string,
        query=body.query,
        statement_timeout_ms=body.statement_timeout_ms,
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.data_source_registered",
        target=f"data-source:{row.id}",
        details={"resource": resource_id, "name": row.name},
    )
    return _read(row)


@router.get("/{resource_id}/data-sources", response_model=list[DatabaseSourceRead])
def list_data_sources(resource_id: str, principal: CurrentUser, db: RegionDB) -> list[DatabaseSourceRead]:
    """The resource's registered databases (connection strings are never shown)."""
    _require(principal, db)
    return [_read(r) for r in databases.list_sources(db, org_id=principal.org_id, resource_id=resource_id)]


@router.delete("/{resource_id}/data-sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_data_source(
    resource_id: str, source_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> Response:
    """Forget a database; the key of its connection string is destroyed."""
    _require(principal, db)
    databases.delete(runtime, db, org_id=principal.org_id, resource_id=resource_id, source_id=source_id)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="ai.data_source_deleted",
        target=f"data-source:{source_id}",
        details={"resource": resource_id},
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
