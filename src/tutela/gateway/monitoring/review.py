"""Human review of flags with just-in-time access, on the platform side, and what the customer sees of it.

    reviewer   sees the queue of flags of their jurisdiction (metadata only)
    reviewer   files an access request for ONE request id of a flag, with a justification
    manager    (another person, same jurisdiction) approves it: a grant for that request id, 60 minutes
    reviewer   reads that request's content while the grant lives; records an outcome on the flag
               (benign / abusive; abusive may suspend the key and notifies the organization's admins)

Every step is written to the customer's hash-chained audit log, and the organization's admins can list who
read what, when and why (`list_accesses`). Staff whose location is not the jurisdiction of the data's region
are refused before anything is shown. There is no other path to content: `service.decrypt` is called only
from `read_content`, after the grant, the flag membership and the jurisdiction were checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.core.auth.principal import StaffPrincipal
from tutela.core.directory.models import StaffMember
from tutela.core.organizations import service as organizations
from tutela.core.permissions.roles import StaffRole
from tutela.errors import InvalidInput, NotFound, PermissionDenied
from tutela.gateway.monitoring import service
from tutela.gateway.monitoring.encoding import displayable
from tutela.gateway.monitoring.exceptions import (
    AlreadyDecided,
    NoLiveGrant,
    NotFlagged,
    SameReviewer,
    WrongJurisdiction,
)
from tutela.gateway.monitoring.models import (
    AccessRequest,
    ContentRead,
    Flag,
    MonitoringRecord,
    Notification,
    OptOutRequest,
)
from tutela.gateway.resources.models import ApiKey
from tutela.runtime import Region, Runtime
from tutela.storage.db import is_valid_id
from tutela.storage.tenancy import TenantMixin, get_owned, scoped

GRANT_MINUTES = 60
MIN_JUSTIFICATION = 20
OUTCOMES = ("benign", "abusive")

M = TypeVar("M", bound=TenantMixin)


def _require_any(principal: StaffPrincipal, *roles: StaffRole) -> None:
    if not principal.roles.intersection(roles):
        raise PermissionDenied(f"this needs one of the platform roles {', '.join(r.value for r in roles)}")


def _locate(runtime: Runtime, model: type[M], object_id: str, *, what: str) -> tuple[Region, str]:
    """The region and organization of a platform-addressed object (flag, access or opt-out request)."""
    if is_valid_id(object_id):
        column: Any = getattr(model, "id")  # noqa: B009 - tenant models have ids; the mixin cannot type it
        for region in runtime.regions.values():
            with region.db.session() as db:
                org_id = db.scalars(select(model.org_id).where(column == object_id)).first()
            if org_id is not None:
                return region, org_id
    raise NotFound(f"{what} {object_id!r} not found")


def _check_jurisdiction(principal: StaffPrincipal, region: Region) -> None:
    if principal.location != region.settings.jurisdiction:
        raise WrongJurisdiction(
            f"data of region {region.name!r} is reviewed in {region.settings.jurisdiction!r} only;"
            f" your location is {principal.location!r}"
        )


def _email(runtime: Runtime, staff_id: str) -> str:
    with runtime.directory.session() as ddb:
        member = ddb.get(StaffMember, staff_id)
        return member.email if member is not None else ""


def _audit(
    runtime: Runtime, db: Session, *, org_id: str, actor: str, action: str, target: str, **details: Any
) -> None:
    organizations.record(
        runtime, db, org_id=org_id, actor=actor, action=action, target=target, details=details
    )


# ------------------------------------------------------------------------------------------ queue


@dataclass(frozen=True)
class Located:
    """A row with the region it lives in."""

    region: str
    row: Any


def queue(runtime: Runtime, *, principal: StaffPrincipal, status: str | None = "open") -> list[Located]:
    """Flags of the regions in the reviewer's jurisdiction, newest first (metadata only)."""
    _require_any(principal, StaffRole.SAFETY_REVIEWER, StaffRole.SAFETY_MANAGER)
    found: list[Located] = []
    for region in runtime.regions.values():
        if region.settings.jurisdiction != principal.location:
            continue
        with region.db.session() as db:
            stmt = select(Flag).order_by(Flag.created_at.desc()).limit(500)
            if status:
                stmt = stmt.where(Flag.status == status)
            found.extend(Located(region.name, f) for f in db.scalars(stmt))
    return found


def access_requests(
    runtime: Runtime, *, principal: StaffPrincipal, status: str | None = None
) -> list[Located]:
    """Access requests of the staff member's jurisdiction (managers: to decide; reviewers: their own)."""
    _require_any(principal, StaffRole.SAFETY_REVIEWER, StaffRole.SAFETY_MANAGER)
    found: list[Located] = []
    for region in runtime.regions.values():
        if region.settings.jurisdiction != principal.location:
            continue
        with region.db.session() as db:
            stmt = select(AccessRequest).order_by(AccessRequest.created_at.desc()).limit(500)
            if status:
                stmt = stmt.where(AccessRequest.status == status)
            if StaffRole.SAFETY_MANAGER not in principal.roles:
                stmt = stmt.where(AccessRequest.reviewer_id == principal.staff_id)
            found.extend(Located(region.name, a) for a in db.scalars(stmt))
    return found


# ------------------------------------------------------------------------------------------ access


def request_access(
    runtime: Runtime, *, principal: StaffPrincipal, flag_id: str, request_id: str, justification: str
) -> Located:
    """A reviewer asks to read one flagged request's content."""
    _require_any(principal, StaffRole.SAFETY_REVIEWER)
    if len(justification.strip()) < MIN_JUSTIFICATION:
        raise InvalidInput(
            f"justify the access in at least {MIN_JUSTIFICATION} characters", param="justification"
        )
    region, org_id = _locate(runtime, Flag, flag_id, what="flag")
    _check_jurisdiction(principal, region)
    email = _email(runtime, principal.staff_id)
    with region.db.session() as db:
        flag = get_owned(db, Flag, flag_id, org_id=org_id, what="flag")
        if request_id not in flag.request_ids:
            raise NotFlagged(f"request {request_id!r} is not part of flag {flag_id!r}")
        record = service.get_record(db, org_id=org_id, resource_id=flag.resource_id, request_id=request_id)
        if not record.flagged:
            raise NotFlagged(f"request {request_id!r} is not flagged")
        row = AccessRequest(
            org_id=org_id,
            flag_id=flag.id,
            request_id=request_id,
            reviewer_id=principal.staff_id,
            reviewer_email=email,
            reviewer_location=principal.location,
            justification=justification.strip(),
            status="pending",
            created_at=runtime.clock.now(),
        )
        db.add(row)
        db.flush()
        _audit(
            runtime,
            db,
            org_id=org_id,
            actor=principal.actor,
            action="monitoring.access_requested",
            target=f"request:{request_id}",
            access=row.id,
            flag=flag.id,
            reviewer=email,
            location=principal.location,
            justification=row.justification,
        )
        return Located(region.name, row)


def decide_access(
    runtime: Runtime,
    *,
    principal: StaffPrincipal,
    access_id: str,
    approve: bool,
    minutes: int = GRANT_MINUTES,
) -> Located:
    """A manager (not the requester) approves or rejects; an approval is a grant that expires."""
    _require_any(principal, StaffRole.SAFETY_MANAGER)
    if not 1 <= minutes <= 24 * 60:
        raise InvalidInput("a grant lasts between 1 minute and 24 hours", param="minutes")
    region, org_id = _locate(runtime, AccessRequest, access_id, what="access request")
    _check_jurisdiction(principal, region)
    email = _email(runtime, principal.staff_id)
    with region.db.session() as db:
        row = get_owned(db, AccessRequest, access_id, org_id=org_id, what="access request")
        if row.reviewer_id == principal.staff_id:
            raise SameReviewer("another safety manager must approve your own access request")
        if row.status != "pending":
            raise AlreadyDecided(f"this access request was {row.status} already")
        now = runtime.clock.now()
        row.status = "approved" if approve else "rejected"
        row.decided_by = principal.staff_id
        row.decided_by_email = email
        row.decided_at = now
        row.expires_at = now + timedelta(minutes=minutes) if approve else None
        _audit(
            runtime,
            db,
            org_id=org_id,
            actor=principal.actor,
            action="monitoring.access_approved" if approve else "monitoring.access_rejected",
            target=f"request:{row.request_id}",
            access=row.id,
            manager=email,
            expires_at=row.expires_at.isoformat() if row.expires_at else None,
        )
        db.flush()
        return Located(region.name, row)


@dataclass(frozen=True)
class Content:
    """A flagged request's content, as shown to the reviewer holding the grant."""

    access: AccessRequest
    record: MonitoringRecord
    prompt: list[str]
    completion: list[str]


def read_content(runtime: Runtime, *, principal: StaffPrincipal, access_id: str) -> Content:
    """The content of the one request id a live grant of this reviewer covers; audited."""
    _require_any(principal, StaffRole.SAFETY_REVIEWER)
    region, org_id = _locate(runtime, AccessRequest, access_id, what="access request")
    _check_jurisdiction(principal, region)
    now = runtime.clock.now()
    with region.db.session() as db:
        row = get_owned(db, AccessRequest, access_id, org_id=org_id, what="access request")
        if row.reviewer_id != principal.staff_id:
            raise NoLiveGrant("this grant belongs to another reviewer")
        if row.status != "approved" or row.expires_at is None or row.expires_at <= now:
            raise NoLiveGrant("no live grant: the access request is pending, rejected or expired")
        flag = get_owned(db, Flag, row.flag_id, org_id=org_id, what="flag")
        record = service.get_record(
            db, org_id=org_id, resource_id=flag.resource_id, request_id=row.request_id
        )
        if not record.flagged or row.request_id not in flag.request_ids:
            raise NotFlagged("only flagged records can be shown")
    content = service.decrypt(runtime, record)
    with region.db.session() as db:
        db.add(
            ContentRead(
                org_id=org_id,
                access_id=row.id,
                request_id=row.request_id,
                staff_id=principal.staff_id,
                at=now,
            )
        )
        _audit(
            runtime,
            db,
            org_id=org_id,
            actor=principal.actor,
            action="monitoring.content_read",
            target=f"request:{row.request_id}",
            access=row.id,
            reviewer=row.reviewer_email,
            justification=row.justification,
        )
    prompt = [displayable(t) for t in content.get("prompt", [])]
    return Content(row, record, prompt, [displayable(t) for t in content.get("completion", [])])


def record_outcome(
    runtime: Runtime,
    *,
    principal: StaffPrincipal,
    flag_id: str,
    outcome: str,
    suspend_key: bool,
    note: str = "",
) -> Located:
    """Close a flag as benign or abusive; abusive may suspend the key and tells the organization's admins."""
    _require_any(principal, StaffRole.SAFETY_REVIEWER, StaffRole.SAFETY_MANAGER)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}", param="outcome")
    if suspend_key and outcome != "abusive":
        raise InvalidInput("only an abusive outcome can suspend a key", param="suspend_key")
    region, org_id = _locate(runtime, Flag, flag_id, what="flag")
    _check_jurisdiction(principal, region)
    with region.db.session() as db:
        flag = get_owned(db, Flag, flag_id, org_id=org_id, what="flag")
        if flag.status != "open":
            raise AlreadyDecided(f"this flag was closed as {flag.outcome} already")
        flag.status = "closed"
        flag.outcome = outcome
        flag.outcome_by = principal.actor
        flag.outcome_at = runtime.clock.now()
        flag.outcome_note = note
        if suspend_key:
            if not flag.key_id:
                raise InvalidInput("this flag has no API key (in-process product calls)", param="suspend_key")
            key = get_owned(db, ApiKey, flag.key_id, org_id=org_id, what="API key")
            key.suspended = True
            flag.key_suspended = True
        if outcome == "abusive":
            suspended = " The API key was suspended." if flag.key_suspended else ""
            db.add(
                Notification(
                    org_id=org_id,
                    kind="abuse_review_outcome",
                    message=(
                        f"A safety review found the requests of flag {flag.id} ({flag.reason}) abusive."
                        f"{suspended}"
                        f" Reviewer note: {note}"
                    ).strip(),
                    flag_id=flag.id,
                    key_id=flag.key_id or None,
                    created_at=runtime.clock.now(),
                )
            )
        _audit(
            runtime,
            db,
            org_id=org_id,
            actor=principal.actor,
            action="monitoring.outcome_recorded",
            target=f"flag:{flag.id}",
            outcome=outcome,
            key_suspended=flag.key_suspended,
            key=flag.key_id,
            note=note,
        )
        db.flush()
        return Located(region.name, flag)


# ----------------------------------------------------------------------------------- opt-out (operator)


def opt_outs(runtime: Runtime, *, principal: StaffPrincipal, status: str | None = "pending") -> list[Located]:
    """Opt-out requests of every region (reasons only, no customer content)."""
    _require_any(principal, StaffRole.OPERATOR)
    found: list[Located] = []
    for region in runtime.regions.values():
        with region.db.session() as db:
            stmt = select(OptOutRequest).order_by(OptOutRequest.created_at.desc()).limit(500)
            if status:
                stmt = stmt.where(OptOutRequest.status == status)
            found.extend(Located(region.name, r) for r in db.scalars(stmt))
    return found


def decide_opt_out(
    runtime: Runtime, *, principal: StaffPrincipal, opt_out_id: str, approve: bool, note: str = ""
) -> Located:
    """An operator approves (content logging off, stored content erased) or rejects an opt-out."""
    _require_any(principal, StaffRole.OPERATOR)
    region, org_id = _locate(runtime, OptOutRequest, opt_out_id, what="opt-out request")
    with region.db.session() as db:
        row = service.decide_opt_out(
            runtime,
            db,
            org_id=org_id,
            opt_out_id=opt_out_id,
            approve=approve,
            actor=principal.actor,
            note=note,
        )
    if approve:
        service.destroy_all_day_keys(runtime, org_id=org_id)
    return Located(region.name, row)


# ------------------------------------------------------------------------------------------ customer side


def list_flags(db: Session, *, org_id: str) -> list[Flag]:
    """The organization's flags, newest first."""
    return list(db.scalars(scoped(Flag, org_id).order_by(Flag.created_at.desc()).limit(500)))


def list_accesses(db: Session, *, org_id: str) -> list[tuple[AccessRequest, list[ContentRead]]]:
    """Every access request to the organization's monitored content, with each read of it."""
    requests = list(db.scalars(scoped(AccessRequest, org_id).order_by(AccessRequest.created_at.desc())))
    reads: dict[str, list[ContentRead]] = {}
    for read in db.scalars(scoped(ContentRead, org_id).order_by(ContentRead.at)):
        reads.setdefault(read.access_id, []).append(read)
    return [(r, reads.get(r.id, [])) for r in requests]


def list_notifications(db: Session, *, org_id: str) -> list[Notification]:
    """Messages to the organization's admins, newest first."""
    return list(db.scalars(scoped(Notification, org_id).order_by(Notification.created_at.desc())))
