"""The signed-in person's notifications: newest first, unread ones marked, each with its link and a button to
mark it read (as GET /api/notifications and POST /api/notifications/{id}/read)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.notifications import service as notifications
from tutela.web.routing import Form, page_router
from tutela.web.session import UserPageDep
from tutela.web.templating import render

router = page_router()


@router.get("/notifications")
def notifications_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The person's notifications."""
    org_id, user_id = page.principal.org_id, page.principal.user_id
    with runtime.region_session(org_id) as db:
        unread, items = notifications.list_for(db, org_id=org_id, user_id=user_id)
    return render(request, "notifications.html", {"title": "Notifications", "unread": unread, "items": items})


@router.post("/notifications/{notification_id}/read")
def mark_read(
    notification_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Mark one notification read, then back to the list."""
    org_id, user_id = page.principal.org_id, page.principal.user_id
    with runtime.region_session(org_id) as db:
        notifications.mark_read(db, org_id=org_id, user_id=user_id, notification_id=notification_id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read")
def mark_all_read(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Mark every notification read, then back to the list."""
    org_id, user_id = page.principal.org_id, page.principal.user_id
    with runtime.region_session(org_id) as db:
        notifications.mark_all_read(db, org_id=org_id, user_id=user_id)
    return RedirectResponse("/notifications", status_code=303)
