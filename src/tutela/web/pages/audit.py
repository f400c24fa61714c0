"""The audit log with its verification status (`audit.view`): actions in words, people by name, details
as a short list."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Query, Request, Response

from tutela.core.audit import service as audit
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.directory import service as directory
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.core.users import service as users
from tutela.gateway.resources.names import gateway_names
from tutela.web.labels import action_label, detail_label
from tutela.web.routing import page_router
from tutela.web.session import UserPageDep
from tutela.web.templating import render

router = page_router()

PAGE_SIZE = 50


def _value(value: Any, names: dict[str, str]) -> str:
    """A detail's value in words: people and groups by name, yes/no, lists and small objects joined, other
    shapes as JSON."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return names.get(value, names.get(f"user:{value}", value))
    if isinstance(value, list) and all(isinstance(v, str | int | float | dict) for v in value):
        return ", ".join(_value(v, names) for v in value) if value else "none"
    if isinstance(value, dict) and value:  # e.g. a routing target: "deployment east-a, weight 3"
        return ", ".join(f"{detail_label(k).lower()} {_value(v, names)}" for k, v in value.items())
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


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
        names = {
            f"user:{u.id}": (f"{u.display_name} ({u.email})" if u.display_name else u.email)
            for u in users.list_users(db, org_id=org_id)
        }
        names |= {f"group:{g.id}": f"group {g.name}" for g in groups.list_groups(db, org_id=org_id)}
        names |= gateway_names(db, org_id=org_id)
    with runtime.directory.session() as ddb:
        names |= {
            f"staff:{i}": f"{email} (platform staff)" for i, email in directory.staff_emails(ddb).items()
        }
    rows = [
        {
            "seq": e.seq,
            "at": e.at,
            "actor": names.get(e.actor, e.actor),
            "action": e.action,
            "label": action_label(e.action),
            "target": names.get(e.target, e.target),
            "details": [(detail_label(k), _value(v, names)) for k, v in sorted((e.details or {}).items())],
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
