"""The audit log with its verification status (`audit.view`)."""

from __future__ import annotations

import json

from fastapi import Query, Request, Response

from tutela.core.audit import service as audit
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.core.users import service as users
from tutela.web.routing import page_router
from tutela.web.session import UserPageDep
from tutela.web.templating import render

router = page_router()

PAGE_SIZE = 50


@router.get("/admin/audit")
def audit_page(
    request: Request,
    page: UserPageDep,
    runtime: RuntimeDep,
    action: str = Query(default="", max_length=80),
    before: int | None = Query(default=None, ge=1),
) -> Response:
    """Entries newest first (filtered by action prefix), and whether the whole chain verifies."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.VIEW_AUDIT
        )
        verification = audit.verify(db, key=organizations.audit_key(runtime), org_id=org_id)
        entries = audit.list_entries(
            db, org_id=org_id, action_prefix=action.strip() or None, limit=PAGE_SIZE, before_seq=before
        )
        names = {f"user:{u.id}": u.email for u in users.list_users(db, org_id=org_id)}
        names |= {f"group:{g.id}": f"group {g.name}" for g in groups.list_groups(db, org_id=org_id)}
    rows = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": names.get(e.actor, e.actor),
            "action": e.action,
            "target": names.get(e.target, e.target),
            "details": json.dumps(e.details, sort_keys=True, ensure_ascii=False) if e.details else "",
        }
        for e in entries
    ]
    older = rows[-1]["seq"] if len(rows) == PAGE_SIZE else None
    return render(
        request,
        "audit.html",
        {
            "title": "Audit log",
            "verification": verification,
            "rows": rows,
            "action": action,
            "older": older,
        },
    )
