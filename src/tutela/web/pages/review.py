"""Platform safety pages: opt-out approvals (operators); the flag queue with metadata only, just-in-time
access requests and their approval, reading one granted item and recording the outcome (safety staff).

Every action goes through `gateway.monitoring.review`, which checks roles, the jurisdiction of the data's
region and the grant, and writes the customer's audit log, exactly as `/api/platform/monitoring` does."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.core.auth import staff
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.permissions.roles import StaffRole
from tutela.errors import NotFound, TutelaError
from tutela.gateway.monitoring import review
from tutela.gateway.monitoring import schemas as s
from tutela.gateway.monitoring.exceptions import NoLiveGrant
from tutela.runtime import Runtime
from tutela.web.pages.platform import organization_names
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import StaffPage, StaffPageDep
from tutela.web.templating import render, sentence

router = page_router()

NOTICES = {
    "access-requested": "Your access request was filed. Another safety manager must approve it.",
    "access-approved": "The access request was approved; the reviewer can read that one request now.",
    "access-rejected": "The access request was rejected.",
    "outcome-recorded": "The outcome was recorded and the flag is closed.",
    "opt-out-approved": "The opt-out was approved: content logging is off and stored content was erased.",
    "opt-out-rejected": "The opt-out was rejected: content logging stays on.",
}
REASONS = {
    "high_severity": "High-severity content",
    "repeated_filtered": "Repeated filtered requests",
    "repeated_jailbreak": "Repeated jailbreak attempts",
}
OPT_OUT_NOTICES = {"approve": "opt-out-approved", "reject": "opt-out-rejected"}
STATUS_LABELS = {"pending": "Waiting for approval", "approved": "Approved", "rejected": "Rejected"}
ACCESS_FILTERS = {"all": "All", **STATUS_LABELS}  # the access-request list shows all by default


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("notice", ""), "")


# ------------------------------------------------------------------------------------------ flag queue


def _queue_page(
    request: Request,
    runtime: Runtime,
    page: StaffPage,
    *,
    failed_flag: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    show = request.query_params.get("show", "open")
    status = None if show == "all" else "open"
    flags = review.queue(runtime, principal=page.principal, status=status)
    mine: list[review.Located] = []
    if page.holds(StaffRole.SAFETY_REVIEWER):
        mine = [
            a
            for a in review.access_requests(runtime, principal=page.principal)
            if a.row.reviewer_id == page.principal.staff_id
        ]
    context: dict[str, Any] = {
        "title": "Flagged items",
        "flags": flags,
        "orgs": organization_names(runtime),
        "show": show,
        "reasons": REASONS,
        "mine": mine,
        "status_labels": STATUS_LABELS,
        "reviewer": page.holds(StaffRole.SAFETY_REVIEWER),
        "location": page.principal.location,
        "failed_flag": failed_flag,
        "errors": errors or {},
        "values": values or {},
        "notice": _notice(request),
    }
    headers = {"HX-Replace-Url": "/platform/flags"}
    return render(request, "monitoring/flags.html", context, status_code=status_code, headers=headers)


@router.get("/platform/flags")
def flags_page(request: Request, page: StaffPageDep, runtime: RuntimeDep) -> Response:
    """The review queue of the staff member's jurisdiction: flags with metadata only, never content."""
    return _queue_page(request, runtime, page)


@router.post("/platform/flags/{flag_id}/access-requests")
def request_access(
    flag_id: str, request: Request, form: Form, page: StaffPageDep, runtime: RuntimeDep
) -> Response:
    """Ask to read one flagged request's content, with a justification (safety reviewers)."""
    staff.require_role(page.principal, StaffRole.SAFETY_REVIEWER)
    values = {"request_id": text(form, "request_id"), "justification": text(form, "justification")}
    try:
        body = s.AccessCreate.model_validate(values)
        review.request_access(
            runtime,
            principal=page.principal,
            flag_id=flag_id,
            request_id=body.request_id,
            justification=body.justification,
        )
    except NotFound:
        raise
    except (ValidationError, TutelaError) as exc:
        too_short = "Explain why you need to read it in at least 20 characters."
        reworded = {"justification": too_short} if values["justification"] else None
        errors, status_code = refusal(exc, fields={"request_id", "justification"}, reworded=reworded)
        return _queue_page(
            request, runtime, page, failed_flag=flag_id, errors=errors, values=values, status_code=status_code
        )
    return RedirectResponse("/platform/flags?notice=access-requested", status_code=303)


# ------------------------------------------------------------------------------------------ access requests


def _requests_page(
    request: Request,
    runtime: Runtime,
    page: StaffPage,
    *,
    failed: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    show = request.query_params.get("show", "all")
    show = show if show in ACCESS_FILTERS else "all"
    found = review.access_requests(runtime, principal=page.principal, status=None if show == "all" else show)
    context: dict[str, Any] = {
        "title": "Access requests",
        "requests": found,
        "show": show,
        "filters": ACCESS_FILTERS,
        "orgs": organization_names(runtime),
        "manager": page.holds(StaffRole.SAFETY_MANAGER),
        "me": page.principal.staff_id,
        "status_labels": STATUS_LABELS,
        "now": runtime.clock.now(),
        "failed": failed,
        "error": error,
        "notice": _notice(request),
    }
    headers = {"HX-Replace-Url": "/platform/access-requests"}
    return render(request, "monitoring/requests.html", context, status_code=status_code, headers=headers)


@router.get("/platform/access-requests")
def requests_page(request: Request, page: StaffPageDep, runtime: RuntimeDep) -> Response:
    """Access requests of the jurisdiction: managers decide them; reviewers follow their own."""
    return _requests_page(request, runtime, page)


@router.post("/platform/access-requests/{access_id}/approve")
def approve_access(
    access_id: str, request: Request, form: Form, page: StaffPageDep, runtime: RuntimeDep
) -> Response:
    """Grant the requester that one request id for some minutes (safety managers, not the requester)."""
    staff.require_role(page.principal, StaffRole.SAFETY_MANAGER)
    try:
        body = s.ApproveCreate.model_validate({"minutes": text(form, "minutes") or 60})
        review.decide_access(
            runtime, principal=page.principal, access_id=access_id, approve=True, minutes=body.minutes
        )
    except NotFound:
        raise
    except (ValidationError, TutelaError) as exc:
        problem = refusal(
            exc, invalid=lambda _: {"minutes": "Give the grant a length from 1 to 1440 minutes."}
        )
        return _requests_page(
            request, runtime, page, failed=access_id, error=problem.message, status_code=problem.status_code
        )
    return RedirectResponse("/platform/access-requests?notice=access-approved", status_code=303)


@router.post("/platform/access-requests/{access_id}/reject")
def reject_access(
    access_id: str, request: Request, form: Form, page: StaffPageDep, runtime: RuntimeDep
) -> Response:
    """Refuse an access request (safety managers)."""
    staff.require_role(page.principal, StaffRole.SAFETY_MANAGER)
    try:
        review.decide_access(runtime, principal=page.principal, access_id=access_id, approve=False)
    except NotFound:
        raise
    except TutelaError as exc:
        problem = refusal(exc)
        return _requests_page(
            request, runtime, page, failed=access_id, error=problem.message, status_code=problem.status_code
        )
    return RedirectResponse("/platform/access-requests?notice=access-rejected", status_code=303)


@router.get("/platform/access-requests/{access_id}")
def content_page(access_id: str, request: Request, page: StaffPageDep, runtime: RuntimeDep) -> Response:
    """The granted request's prompt and completion while the grant lives (its reviewer); every view is
    audited as a read. Without a live grant the page says why and shows no content."""
    try:
        content = review.read_content(runtime, principal=page.principal, access_id=access_id)
    except NoLiveGrant as exc:
        return render(
            request,
            "monitoring/content.html",
            {
                "title": "Flagged item",
                "content": None,
                "access_id": access_id,
                "reason": sentence(exc.message),
            },
            status_code=exc.status_code,
        )
    return _content_view(request, page, content)


def _content_view(
    request: Request,
    page: StaffPage,
    content: review.Content,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "monitoring/content.html",
        {
            "title": "Flagged item",
            "content": content,
            "access_id": content.access.id,
            "reason": "",
            "reviewer": page.holds(StaffRole.SAFETY_REVIEWER),
            "errors": errors or {},
            "values": values or {"outcome": "benign"},
            "notice": _notice(request),
        },
        status_code=status_code,
        headers={"HX-Replace-Url": f"/platform/access-requests/{content.access.id}"},
    )


@router.post("/platform/flags/{flag_id}/outcome")
def record_outcome(
    flag_id: str, request: Request, form: Form, page: StaffPageDep, runtime: RuntimeDep
) -> Response:
    """Close a flag as benign or abusive (as POST /api/platform/monitoring/flags/{id}/outcome)."""
    staff.require_role(page.principal, StaffRole.SAFETY_REVIEWER)
    values = {
        "outcome": text(form, "outcome"),
        "note": text(form, "note"),
        "suspend_key": text(form, "suspend_key"),
        "access_id": text(form, "access_id"),
    }
    back = f"/platform/access-requests/{values['access_id']}" if values["access_id"] else "/platform/flags"
    try:
        body = s.OutcomeCreate.model_validate(
            {
                "outcome": values["outcome"],
                "note": values["note"],
                "suspend_key": values["suspend_key"] == "true",
            }
        )
        review.record_outcome(
            runtime,
            principal=page.principal,
            flag_id=flag_id,
            outcome=body.outcome,
            suspend_key=body.suspend_key,
            note=body.note,
        )
    except NotFound:
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(
            exc, fields={"outcome", "note", "suspend_key"}, reworded={"outcome": "Choose benign or abusive."}
        )
        if values["access_id"]:
            content = review.read_content(runtime, principal=page.principal, access_id=values["access_id"])
            return _content_view(
                request, page, content, errors=errors, values=values, status_code=status_code
            )
        return _queue_page(
            request, runtime, page, failed_flag=flag_id, errors=errors, values=values, status_code=status_code
        )
    return RedirectResponse(f"{back}?notice=outcome-recorded", status_code=303)


# ------------------------------------------------------------------------------------------ opt-outs


def _opt_outs_page(
    request: Request,
    runtime: Runtime,
    page: StaffPage,
    *,
    failed: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    show = request.query_params.get("show", "pending")
    found = review.opt_outs(runtime, principal=page.principal, status=None if show == "all" else "pending")
    context: dict[str, Any] = {
        "title": "Opt-out requests",
        "opt_outs": found,
        "orgs": organization_names(runtime),
        "show": show,
        "failed": failed,
        "error": error,
        "notice": _notice(request),
    }
    headers = {"HX-Replace-Url": "/platform/opt-outs"}
    return render(request, "monitoring/opt_outs.html", context, status_code=status_code, headers=headers)


@router.get("/platform/opt-outs")
def opt_outs_page(request: Request, page: StaffPageDep, runtime: RuntimeDep) -> Response:
    """Organizations' requests to stop content logging (operators decide)."""
    staff.require_role(page.principal, StaffRole.OPERATOR)
    return _opt_outs_page(request, runtime, page)


@router.post("/platform/opt-outs/{opt_out_id}/{decision}")
def decide_opt_out(
    opt_out_id: str, decision: str, request: Request, form: Form, page: StaffPageDep, runtime: RuntimeDep
) -> Response:
    """Approve (content logging off, stored content erased) or reject an opt-out (operators)."""
    staff.require_role(page.principal, StaffRole.OPERATOR)
    if decision not in ("approve", "reject"):
        raise NotFound("this address does not exist")
    try:
        body = s.DecisionCreate.model_validate({"note": text(form, "note")})
        review.decide_opt_out(
            runtime,
            principal=page.principal,
            opt_out_id=opt_out_id,
            approve=decision == "approve",
            note=body.note,
        )
    except NotFound:
        raise
    except (ValidationError, TutelaError) as exc:
        problem = refusal(exc, invalid=lambda _: {"note": "Keep the note under 2000 characters."})
        return _opt_outs_page(
            request, runtime, page, failed=opt_out_id, error=problem.message, status_code=problem.status_code
        )
    return RedirectResponse(f"/platform/opt-outs?notice={OPT_OUT_NOTICES[decision]}", status_code=303)
