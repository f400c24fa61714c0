"""Admins read their organization's usage: JSON or CSV, per day × deployment × model × key × user."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict

from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.gateway.usage import service as usage
from tutela.gateway.usage.models import DailyUsage

router = APIRouter(prefix="/api/ai/usage", tags=["ai usage"])


class UsageRead(BaseModel):
    """One day's totals of one deployment, model, key and user."""

    model_config = ConfigDict(from_attributes=True)

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


Day = Annotated[
    date | None, Query(description="A UTC day, YYYY-MM-DD, both ends included (default: the last 30 days).")
]


def _rows(
    principal: CurrentUser, db: RegionDB, runtime: RuntimeDep, start: date | None, end: date | None
) -> list[DailyUsage]:
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_AI_RESOURCES
    )
    last = end or runtime.clock.now().date()
    first = start or last - timedelta(days=30)
    return usage.daily(db, org_id=principal.org_id, start=first.isoformat(), end=last.isoformat())


@router.get("", response_model=list[UsageRead])
def daily_usage(
    principal: CurrentUser, db: RegionDB, runtime: RuntimeDep, start: Day = None, end: Day = None
) -> list[UsageRead]:
    """Usage totals of the organization between two days."""
    return [UsageRead.model_validate(row) for row in _rows(principal, db, runtime, start, end)]


@router.get("/csv", response_class=Response)
def daily_usage_csv(
    principal: CurrentUser, db: RegionDB, runtime: RuntimeDep, start: Day = None, end: Day = None
) -> Response:
    """The same totals as a CSV file."""
    return Response(
        usage.as_csv(_rows(principal, db, runtime, start, end)),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="usage.csv"'},
    )
