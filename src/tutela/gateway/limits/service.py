"""Setting and finding rate limits; every subject is checked to belong to the organization that sets it."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.orm import Session

from tutela.core.organizations import service as organizations
from tutela.core.users.models import User
from tutela.errors import InvalidInput
from tutela.gateway.limits.models import RateLimit
from tutela.gateway.limits.schemas import LimitValues, Scope
from tutela.gateway.resources.models import AIResource, ApiKey
from tutela.runtime import Runtime
from tutela.storage.tenancy import get_owned, scoped

_SUBJECTS: dict[str, tuple[type[ApiKey] | type[AIResource] | type[User], str]] = {
    "key": (ApiKey, "API key"),
    "resource": (AIResource, "AI resource"),
    "user": (User, "user"),
}


def subject_of(db: Session, *, org_id: str, scope: Scope, subject_id: str | None) -> str:
    """The subject's id, once it is known to be the organization's own (another tenant's id: NotFound)."""
    if scope == "organization":
        if subject_id not in (None, org_id):
            raise InvalidInput("an organization's limits apply to itself: leave subject_id out")
        return org_id
    if not subject_id:
        raise InvalidInput(f"scope {scope!r} needs a subject_id")
    model, what = _SUBJECTS[scope]
    return get_owned(db, model, subject_id, org_id=org_id, what=what).id


def set_limits(
    db: Session, *, org_id: str, scope: Scope, subject_id: str | None, values: LimitValues
) -> RateLimit:
    """Create or replace the limits of one subject of the organization."""
    subject = subject_of(db, org_id=org_id, scope=scope, subject_id=subject_id)
    row = db.scalars(
        scoped(RateLimit, org_id).where(RateLimit.scope == scope, RateLimit.subject_id == subject)
    ).one_or_none()
    if row is None:
        row = RateLimit(org_id=org_id, scope=scope, subject_id=subject)
        db.add(row)
    for name, value in values.model_dump(include=set(LimitValues.model_fields)).items():
        setattr(row, name, value)
    db.flush()
    return row


def record_change(
    runtime: Runtime, db: Session, *, actor: str, row: RateLimit, removed: bool = False
) -> None:
    """The audit entry of a set or removed limit (the API, the admin page and the CLI write the same)."""
    details = None if removed else {name: getattr(row, name) for name in LimitValues.model_fields}
    organizations.record(
        runtime,
        db,
        org_id=row.org_id,
        actor=actor,
        action="ai.limits_removed" if removed else "ai.limits_set",
        target=f"{row.scope}:{row.subject_id}",
        details=details,
    )


def list_limits(db: Session, *, org_id: str) -> list[RateLimit]:
    """Every limit the organization set."""
    return list(db.scalars(scoped(RateLimit, org_id).order_by(RateLimit.scope, RateLimit.created_at)))


def delete_limits(db: Session, *, org_id: str, limit_id: str) -> RateLimit:
    """Remove one subject's limits; returns the removed row."""
    row = get_owned(db, RateLimit, limit_id, org_id=org_id, what="rate limit")
    db.delete(row)
    db.flush()
    return row


def applicable(db: Session, *, org_id: str, resource_id: str, key_id: str, user_id: str) -> list[RateLimit]:
    """The limits that apply to one caller: its key's, its resource's, its organization's and its user's."""
    subjects = [("organization", org_id), ("resource", resource_id), ("key", key_id), ("user", user_id)]
    wanted = [(RateLimit.scope == s) & (RateLimit.subject_id == i) for s, i in subjects if i]
    return list(db.scalars(scoped(RateLimit, org_id).where(or_(*wanted))))
