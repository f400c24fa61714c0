"""Admins read their organization's usage (JSON or CSV, per day × deployment × model × key × user, with
estimated cost) and set how long it is kept."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.core.schemas import Body
from tutela.gateway.usage import retention
from tutela.gateway.usage import service as usage
from tutela.gateway.usage.pricing import CostedUsage

router = APIRouter(prefix="/api/ai/usage", tags=["ai usage"])


class UsageRead(BaseModel):
    """One day's totals of one deployment, model, key and user, and their estimated cost."""

    day: str
    deployment: str
    model: str
    key_id: str
    user_id: str
    requests: int
    filtered_requests: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms_total: int
    estimated_cost: float | None = Field(description="At the deployment's price; null when it has none.")
    currency: str | None

    @classmethod
    def of(cls, line: CostedUsage) -> UsageRead:
        """The API shape of a costed row."""
        row = line.row
        return cls(
            day=row.day, deployment=row.deployment, model=row.model, key_id=row.key_id, user_id=row.user_id,
            requests=row.requests, filtered_requests=row.filtered_requests, prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens, latency_ms_total=row.latency_ms_total,
            estimated_cost=line.estimated_cost, currency=line.currency,
        )  # fmt: skip


class RetentionRead(BaseModel):
    """How long usage aggregates are kept."""

    days: int = Field(description="The days that apply.")
    organization_days: int | None = Field(description="The organization's own setting; null: the default.")
    default_days: int = Field(description="The platform's default.")


class RetentionSet(Body):
    """Keep usage this many days; null for the platform's default."""

    days: int | None = Field(ge=1, le=retention.MAX_DAYS)


Day = Annotated[
    date | None, Query(description="A UTC day, YYYY-MM-DD, both ends included (default: the last 30 days).")
]
DeploymentName = Annotated[str | None, Query(max_length=64, description="Only this deployment (by name).")]


def _require(principal: CurrentUser, db: RegionDB) -> None:
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_AI_RESOURCES
    )


def _rows(
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    start: date | None,
    end: date | None,
    deployment: str | None,
) -> list[CostedUsage]:
    _require(principal, db)
    last = end or runtime.clock.now().date()
    first = start or last - timedelta(days=30)
    return usage.daily(
        db, org_id=principal.org_id, start=first.isoformat(), end=last.isoformat(), deployment=deployment
    )


@router.get("", response_model=list[UsageRead])
def daily_usage(
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    start: Day = None,
    end: Day = None,
    deployment: DeploymentName = None,
) -> list[UsageRead]:
    """Usage totals of the organization between two days, with their estimated cost."""
    return [UsageRead.of(line) for line in _rows(principal, db, runtime, start, end, deployment)]


@router.get("/csv", response_class=Response)
def daily_usage_csv(
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    start: Day = None,
    end: Day = None,
    deployment: DeploymentName = None,
) -> Response:
    """The same totals as a CSV file."""
    return Response(
        usage.as_csv(_rows(principal, db, runtime, start, end, deployment)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="usage.csv"'},
    )


def _retention_read(found: retention.Retention) -> RetentionRead:
    return RetentionRead(
        days=found.days, organization_days=found.organization_days, default_days=found.default_days
    )


@router.get("/retention", response_model=RetentionRead)
def get_retention(principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> RetentionRead:
    """How long the organization's usage aggregates are kept."""
    _require(principal, db)
    return _retention_read(retention.get_retention(runtime, db, org_id=principal.org_id))


@router.put("/retention", response_model=RetentionRead)
def set_retention(
    body: RetentionSet, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> RetentionRead:
    """Keep usage aggregates this many days (null: the platform's default); older days are purged."""
    _require(principal, db)
    found = retention.set_retention(
        runtime, db, org_id=principal.org_id, actor=principal.actor, days=body.days
    )
    return _retention_read(found)
