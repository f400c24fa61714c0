"""REST APIs of abuse monitoring.

Organization admins (`/api/monitoring`): policy and retention, the opt-out request, records' metadata per
resource, flags, notifications, and the access log (who read what, when and why).

Platform staff (`/api/platform/monitoring`): operators decide opt-outs and may run the purge; safety reviewers
and managers work the flag queue with just-in-time grants. These routes answer 404 to anyone but staff, so an
organization's token cannot even learn that an id exists.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from tutela.core.auth import secrets
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep, current_staff, presented_token
from tutela.core.auth.principal import StaffPrincipal, UserPrincipal
from tutela.core.auth.staff import require_role
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import StaffRole
from tutela.errors import NotFound
from tutela.gateway.monitoring import review, service
from tutela.gateway.monitoring import schemas as s
from tutela.gateway.monitoring.models import MonitoringRecord
from tutela.gateway.monitoring.recorder import recorder_for
from tutela.gateway.resources import service as resources

router = APIRouter(prefix="/api/monitoring", tags=["abuse monitoring"])
platform_router = APIRouter(prefix="/api/platform/monitoring", tags=["abuse monitoring (platform)"])


def _admin(principal: UserPrincipal, db: Session) -> None:
    permissions.require_admin(db, org_id=principal.org_id, user_id=principal.user_id)


def record_read(record: MonitoringRecord) -> s.RecordRead:
    """Metadata of a record; the sealed content is never part of it."""
    return s.RecordRead(
        request_id=record.request_id,
        resource_id=record.resource_id,
        region=record.region,
        at=record.at,
        deployment=record.deployment,
        operation=record.operation,
        key_id=record.key_id,
        streamed=record.streamed,
        verdicts=dict(record.verdicts),
        filtered=record.filtered,
        severity=record.severity,
        jailbreak=record.jailbreak,
        prompt_chars=record.prompt_chars,
        completion_chars=record.completion_chars,
        usage=dict(record.usage),
        content_stored=record.sealed_content is not None,
        flagged=record.flagged,
    )


# ------------------------------------------------------------------------------------------ organization


@router.get("/policy", response_model=s.PolicyRead)
def get_policy(principal: CurrentUser, db: RegionDB) -> s.PolicyRead:
    """Retention and whether prompts and completions are logged."""
    _admin(principal, db)
    return s.PolicyRead.model_validate(service.get_policy(db, org_id=principal.org_id))


@router.patch("/policy", response_model=s.PolicyRead)
def update_policy(
    body: s.PolicyUpdate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> s.PolicyRead:
    """Keep monitored records for fewer days (1 to 30); applies to records already stored."""
    _admin(principal, db)
    policy = service.set_retention(
        runtime, db, org_id=principal.org_id, actor=principal.actor, retention_days=body.retention_days
    )
    return s.PolicyRead.model_validate(policy)


@router.post("/opt-out", response_model=s.OptOutRead, status_code=201)
def request_opt_out(
    body: s.OptOutCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> s.OptOutRead:
    """Ask to stop content logging ("modified abuse monitoring"); a platform operator decides."""
    _admin(principal, db)
    row = service.request_opt_out(
        runtime, db, org_id=principal.org_id, actor=principal.actor, reason=body.reason
    )
    return s.OptOutRead.model_validate(row)


@router.get("/opt-out", response_model=list[s.OptOutRead])
def list_opt_outs(principal: CurrentUser, db: RegionDB) -> list[s.OptOutRead]:
    """The organization's opt-out requests and their decisions."""
    _admin(principal, db)
    return [s.OptOutRead.model_validate(r) for r in service.list_opt_outs(db, org_id=principal.org_id)]


@router.get("/resources/{resource_id}/records", response_model=list[s.RecordRead])
def list_records(
    resource_id: str,
    principal: CurrentUser,
    db: RegionDB,
    limit: int = Query(default=100, ge=1, le=1000),
    flagged: bool = Query(default=False),
) -> list[s.RecordRead]:
    """Metadata of the resource's monitored requests, newest first (never their content)."""
    _admin(principal, db)
    resources.get_resource(db, org_id=principal.org_id, resource_id=resource_id)
    rows = service.list_records(
        db, org_id=principal.org_id, resource_id=resource_id, limit=limit, flagged_only=flagged
    )
    return [record_read(r) for r in rows]


@router.get("/flags", response_model=list[s.FlagRead])
def list_flags(principal: CurrentUser, db: RegionDB) -> list[s.FlagRead]:
    """Flags raised on the organization's traffic, and their outcomes."""
    _admin(principal, db)
    return [s.FlagRead.model_validate(f) for f in review.list_flags(db, org_id=principal.org_id)]


@router.get("/accesses", response_model=list[s.AccessLogRead])
def list_accesses(principal: CurrentUser, db: RegionDB) -> list[s.AccessLogRead]:
    """Who asked to read which request's content, why, who approved it, and every read."""
    _admin(principal, db)
    return [
        s.AccessLogRead(
            **s.AccessRead.model_validate(a).model_dump(),
            reads=[s.ReadEvent.model_validate(r) for r in reads],
        )
        for a, reads in review.list_accesses(db, org_id=principal.org_id)
    ]


@router.get("/notifications", response_model=list[s.NotificationRead])
def list_notifications(principal: CurrentUser, db: RegionDB) -> list[s.NotificationRead]:
    """Messages to the organization's admins (abuse review outcomes)."""
    _admin(principal, db)
    return [
        s.NotificationRead.model_validate(n) for n in review.list_notifications(db, org_id=principal.org_id)
    ]


# ------------------------------------------------------------------------------------------ platform


def monitoring_staff(request: Request, runtime: RuntimeDep) -> StaffPrincipal:
    """A signed-in staff member; anyone else gets the 404 an unknown path gets."""
    try:
        parsed = secrets.parse_token(presented_token(request))
    except Exception:  # noqa: BLE001 - any unusable token: not staff
        raise NotFound("no such endpoint") from None
    if parsed.kind != "staff":
        raise NotFound("no such endpoint")
    return current_staff(request, runtime)


Staff = Annotated[StaffPrincipal, Depends(monitoring_staff)]


def _with_region(schema: Any, located: review.Located) -> Any:
    return schema(**schema.__base__.model_validate(located.row).model_dump(), region=located.region)


@platform_router.get("/flags", response_model=list[s.PlatformFlagRead])
def queue(principal: Staff, runtime: RuntimeDep, status: str | None = Query(default="open")) -> list[Any]:
    """The review queue of the caller's jurisdiction: flags with metadata only."""
    return [
        _with_region(s.PlatformFlagRead, f) for f in review.queue(runtime, principal=principal, status=status)
    ]


@platform_router.post(
    "/flags/{flag_id}/access-requests", response_model=s.PlatformAccessRead, status_code=201
)
def request_access(flag_id: str, body: s.AccessCreate, principal: Staff, runtime: RuntimeDep) -> Any:
    """Ask to read one flagged request's content, with a justification (safety reviewers)."""
    require_role(principal, StaffRole.SAFETY_REVIEWER)
    located = review.request_access(
        runtime,
        principal=principal,
        flag_id=flag_id,
        request_id=body.request_id,
        justification=body.justification,
    )
    return _with_region(s.PlatformAccessRead, located)


@platform_router.post("/flags/{flag_id}/outcome", response_model=s.PlatformFlagRead)
def record_outcome(flag_id: str, body: s.OutcomeCreate, principal: Staff, runtime: RuntimeDep) -> Any:
    """Close a flag as benign or abusive (abusive may suspend the key; the organization's admins are told)."""
    require_role(principal, StaffRole.SAFETY_REVIEWER)
    located = review.record_outcome(
        runtime,
        principal=principal,
        flag_id=flag_id,
        outcome=body.outcome,
        suspend_key=body.suspend_key,
        note=body.note,
    )
    return _with_region(s.PlatformFlagRead, located)


@platform_router.get("/access-requests", response_model=list[s.PlatformAccessRead])
def list_access_requests(
    principal: Staff, runtime: RuntimeDep, status: str | None = Query(default=None)
) -> list[Any]:
    """Access requests of the caller's jurisdiction (managers: all; reviewers: their own)."""
    found = review.access_requests(runtime, principal=principal, status=status)
    return [_with_region(s.PlatformAccessRead, a) for a in found]


@platform_router.post("/access-requests/{access_id}/approve", response_model=s.PlatformAccessRead)
def approve_access(access_id: str, body: s.ApproveCreate, principal: Staff, runtime: RuntimeDep) -> Any:
    """Grant the requester that one request id for `minutes` (safety managers, not the requester)."""
    require_role(principal, StaffRole.SAFETY_MANAGER)
    located = review.decide_access(
        runtime, principal=principal, access_id=access_id, approve=True, minutes=body.minutes
    )
    return _with_region(s.PlatformAccessRead, located)


@platform_router.post("/access-requests/{access_id}/reject", response_model=s.PlatformAccessRead)
def reject_access(access_id: str, principal: Staff, runtime: RuntimeDep) -> Any:
    """Refuse an access request (safety managers)."""
    require_role(principal, StaffRole.SAFETY_MANAGER)
    located = review.decide_access(runtime, principal=principal, access_id=access_id, approve=False)
    return _with_region(s.PlatformAccessRead, located)


@platform_router.get("/access-requests/{access_id}/content", response_model=s.ContentRead)
def read_content(access_id: str, principal: Staff, runtime: RuntimeDep) -> s.ContentRead:
    """The prompt and completion of the granted request id while the grant lives (its reviewer)."""
    content = review.read_content(runtime, principal=principal, access_id=access_id)
    assert content.access.expires_at is not None  # a live grant has an expiry
    return s.ContentRead(
        access_id=content.access.id,
        request_id=content.access.request_id,
        record=record_read(content.record),
        prompt=content.prompt,
        completion=content.completion,
        grant_expires_at=content.access.expires_at,
    )


@platform_router.get("/opt-outs", response_model=list[s.PlatformOptOutRead])
def list_opt_outs_platform(
    principal: Staff, runtime: RuntimeDep, status: str | None = Query(default="pending")
) -> list[Any]:
    """Opt-out requests of every region (operators)."""
    return [
        _with_region(s.PlatformOptOutRead, r)
        for r in review.opt_outs(runtime, principal=principal, status=status)
    ]


@platform_router.post("/opt-outs/{opt_out_id}/approve", response_model=s.PlatformOptOutRead)
def approve_opt_out(opt_out_id: str, body: s.DecisionCreate, principal: Staff, runtime: RuntimeDep) -> Any:
    """Turn content logging off for the organization and erase its stored content (operators)."""
    require_role(principal, StaffRole.OPERATOR)
    located = review.decide_opt_out(
        runtime, principal=principal, opt_out_id=opt_out_id, approve=True, note=body.note
    )
    return _with_region(s.PlatformOptOutRead, located)


@platform_router.post("/opt-outs/{opt_out_id}/reject", response_model=s.PlatformOptOutRead)
def reject_opt_out(opt_out_id: str, body: s.DecisionCreate, principal: Staff, runtime: RuntimeDep) -> Any:
    """Keep content logging on (operators)."""
    require_role(principal, StaffRole.OPERATOR)
    located = review.decide_opt_out(
        runtime, principal=principal, opt_out_id=opt_out_id, approve=False, note=body.note
    )
    return _with_region(s.PlatformOptOutRead, located)


@platform_router.post("/purge", response_model=s.PurgeRead)
def purge(principal: Staff, runtime: RuntimeDep) -> s.PurgeRead:
    """Run the retention purge now (operators)."""
    require_role(principal, StaffRole.OPERATOR)
    result = service.purge(runtime)
    return s.PurgeRead(
        records=result.records, keys=result.keys, days=result.days, organizations=result.organizations
    )


@platform_router.get("/recorder", response_model=s.RecorderRead)
def recorder_stats(principal: Staff, runtime: RuntimeDep) -> s.RecorderRead:
    """This process's monitoring writer: records written, dropped, retried, lost (operators)."""
    require_role(principal, StaffRole.OPERATOR)
    return s.RecorderRead.model_validate(recorder_for(runtime).stats(), from_attributes=True)
