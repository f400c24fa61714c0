"""How long usage aggregates are kept (an organization's own setting, else the platform's), and the purge
that deletes older days. Independent of the content store: usage rows hold counts, never content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tutela.core.organizations import service as organizations
from tutela.core.organizations.models import Organization
from tutela.errors import InvalidInput, NotFound
from tutela.gateway.usage.models import DailyUsage
from tutela.runtime import Runtime

MAX_DAYS = 3650


@dataclass(frozen=True)
class Retention:
    """An organization's usage retention: its own setting (None: the platform's) and what applies."""

    organization_days: int | None
    default_days: int

    @property
    def days(self) -> int:
        """The days that apply."""
        return self.organization_days or self.default_days


def get_retention(runtime: Runtime, db: Session, *, org_id: str) -> Retention:
    """The organization's usage retention."""
    org = db.get(Organization, org_id)
    if org is None:
        raise NotFound(f"organization {org_id!r} not found")
    return Retention(org.usage_retention_days, runtime.settings.gateway.usage_retention_days)


def set_retention(runtime: Runtime, db: Session, *, org_id: str, actor: str, days: int | None) -> Retention:
    """Keep the organization's usage `days` days (None: the platform's default). Audited."""
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"keep usage between 1 and {MAX_DAYS:,} days", param="days")
    before = get_retention(runtime, db, org_id=org_id)
    org = db.get(Organization, org_id)
    assert org is not None  # get_retention found it
    org.usage_retention_days = days
    after = Retention(days, before.default_days)
    organizations.record(
        runtime,
        db,
        org_id=org_id,
        actor=actor,
        action="ai.usage_retention_changed",
        target=f"organization:{org_id}",
        details={"from_days": before.days, "to_days": after.days, "platform_default": days is None},
    )
    return after


def cutoff_day(now: datetime, days: int) -> str:
    """The newest day to delete: today and the `days - 1` days before it are kept (UTC)."""
    return (now.date() - timedelta(days=days)).isoformat()


def purge(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Delete every organization's usage rows older than its retention, in every region; rows deleted."""
    now = now or runtime.clock.now()
    default = runtime.settings.gateway.usage_retention_days
    deleted = 0
    for region in runtime.regions.values():
        with region.db.session() as db:
            settings = db.execute(select(Organization.id, Organization.usage_retention_days)).all()
            for org_id, days in settings:
                result = db.execute(
                    delete(DailyUsage)
                    .where(DailyUsage.org_id == org_id, DailyUsage.day <= cutoff_day(now, days or default))
                    .execution_options(synchronize_session=False)
                )
                deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted
