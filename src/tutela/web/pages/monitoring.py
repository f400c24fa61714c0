"""Abuse monitoring for organization admins: retention, the opt-out request, who accessed the organization's
monitored data, and the organization export (admins only, as `/api/monitoring` and `/api/modules/export`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.authoring import exports
from tutela.authoring.modules import router as modules_api
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.errors import PermissionDenied, TutelaError
from tutela.gateway.monitoring import review, service
from tutela.gateway.monitoring import schemas as s
from tutela.gateway.monitoring.models import MAX_RETENTION_DAYS
from tutela.runtime import Runtime
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

NOTICES = {
    "retention-saved": "The retention period was saved; it applies to records already stored.",
    "opt-out-requested": "Your opt-out request was sent. A platform operator will decide on it.",
}
STATUS_LABELS = {"pending": "Waiting for a decision", "approved": "Approved", "rejected": "Rejected"}


def _monitoring_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
        policy = service.get_policy(db, org_id=org_id)
        opt_outs = service.list_opt_outs(db, org_id=org_id)
        flags = review.list_flags(db, org_id=org_id)
        notifications = review.list_notifications(db, org_id=org_id)
    context: dict[str, Any] = {
        "title": "Abuse monitoring",
        "policy": policy,
        "max_days": MAX_RETENTION_DAYS,
        "opt_outs": opt_outs,
        "pending_opt_out": any(o.status == "pending" for o in opt_outs),
        "status_labels": STATUS_LABELS,
        "flags": flags,
        "notifications": notifications,
        "ret_errors": {},
        "ret_values": {"retention_days": str(policy.retention_days)},
        "errors": {},
        "values": {},
        "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
    }
    context |= extra or {}
    headers = {"HX-Replace-Url": "/admin/monitoring"}
    return render(request, "monitoring/admin.html", context, status_code=status_code, headers=headers)


@router.get("/admin/monitoring")
def monitoring_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Retention, content logging and the opt-out request, flags on the organization's traffic."""
    return _monitoring_page(request, runtime, page)


@router.post("/admin/monitoring/retention")
def save_retention(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Keep monitored records for fewer days (as PATCH /api/monitoring/policy)."""
    org_id = page.principal.org_id
    values = {"retention_days": text(form, "retention_days")}
    try:
        with runtime.region_session(org_id) as db:
            permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
            body = s.PolicyUpdate.model_validate(values)
            service.set_retention(
                runtime, db, org_id=org_id, actor=page.principal.actor, retention_days=body.retention_days
            )
    except PermissionDenied:
        raise
    except (ValidationError, TutelaError) as exc:
        days = f"Enter a whole number of days from 1 to {MAX_RETENTION_DAYS}."
        errors, status_code = refusal(exc, fields={"retention_days"}, reworded={"retention_days": days})
        extra = {"ret_errors": errors, "ret_values": values}
        return _monitoring_page(request, runtime, page, extra=extra, status_code=status_code)
    return RedirectResponse("/admin/monitoring?notice=retention-saved", status_code=303)


@router.post("/admin/monitoring/opt-out")
def request_opt_out(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Ask to stop content logging, with a reason (as POST /api/monitoring/opt-out)."""
    org_id = page.principal.org_id
    values = {"reason": str(form.get("reason", "")).strip()}
    try:
        with runtime.region_session(org_id) as db:
            permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
            body = s.OptOutCreate.model_validate(values)
            service.request_opt_out(
                runtime, db, org_id=org_id, actor=page.principal.actor, reason=body.reason
            )
    except PermissionDenied:
        raise
    except (ValidationError, TutelaError) as exc:
        reworded = {"reason": "Give the reason in 10 to 2000 characters."} if values["reason"] else None
        errors, status_code = refusal(exc, fields={"reason"}, reworded=reworded)
        extra = {"errors": errors, "values": values}
        return _monitoring_page(request, runtime, page, extra=extra, status_code=status_code)
    return RedirectResponse("/admin/monitoring?notice=opt-out-requested", status_code=303)


@router.get("/admin/monitoring/accesses")
def accesses_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Who asked to read which request's content, why, who approved it, and every read."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
        accesses = review.list_accesses(db, org_id=org_id)
    return render(
        request,
        "monitoring/accesses.html",
        {"title": "Who accessed our monitored data", "accesses": accesses, "status_labels": STATUS_LABELS},
    )


@router.get("/admin/export")
def export_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """What the organization export holds, and the button to download it."""
    with runtime.region_session(page.principal.org_id) as db:
        permissions.require_admin(db, org_id=page.principal.org_id, user_id=page.principal.user_id)
    context = {"title": "Organization export", "formats": list(exports.FORMATS.values())}
    return render(request, "monitoring/export.html", context)


@router.get("/admin/export/tutela-modules.zip")
def export_download(page: UserPageDep, runtime: RuntimeDep, format: str = "") -> Response:
    """Every module as a zip of JSON and Markdown, or with `format` in one LMS format (as
    GET /api/modules/export, through the same function, so the same checks and audit entry)."""
    with runtime.region_session(page.principal.org_id) as db:
        data, filename = modules_api.organization_export(runtime, db, page.principal, format_name=format)
    return Response(
        content=data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
