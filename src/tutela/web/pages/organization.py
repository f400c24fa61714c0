"""Organization settings, reserved to admins: the permission matrix, the AI switch, document screening."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission, Role
from tutela.errors import InvalidInput
from tutela.web.labels import PERMISSION_LABELS, ROLE_LABELS
from tutela.web.routing import Form, page_router, text
from tutela.web.session import UserPageDep
from tutela.web.templating import render

router = page_router()

NOTICES = {
    "matrix-saved": "The permission matrix was saved.",
    "matrix-unchanged": "Nothing changed in the permission matrix.",
    "ai-on": "AI features are on for everyone in the organization.",
    "ai-off": "AI features are off: nobody in the organization can generate with AI until an admin "
    "switches them on again.",
    "document-filter-saved": "Documents in authoring are screened at the new level from the next generation.",
}
DOCUMENT_FILTERS = [
    ("high", "High severity only (recommended)"),
    ("medium", "Medium severity and above"),
    ("low", "Low severity and above (strictest)"),
    ("off", "Never (no harm screening of documents)"),
]


def cell_name(role: Role, permission: Permission) -> str:
    """The form value of one matrix cell."""
    return f"{role.value}:{permission.value}"


@router.get("/admin/permissions")
def matrix_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The permission matrix as a table of checkboxes (admins only)."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
        cells = permissions.matrix(db, org_id=org_id)
    return render(
        request,
        "permissions.html",
        {
            "title": "Permissions",
            "roles": [(r, ROLE_LABELS[r]) for r in Role],
            "rows": [(p, PERMISSION_LABELS[p]) for p in Permission],
            "cells": cells,
            "cell_name": cell_name,
            "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
        },
    )


@router.post("/admin/permissions")
def save_matrix(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Save the cells that changed (as PUT /api/org/permissions, one audit entry for the lot)."""
    checked = {value for value in form.getlist("cell") if isinstance(value, str)}
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
        current = permissions.matrix(db, org_id=org_id)
        changed = [
            (role, permission, cell_name(role, permission) in checked)
            for role in Role
            for permission in Permission
            if current[role][permission] != (cell_name(role, permission) in checked)
        ]
        for role, permission, allowed in changed:
            permissions.set_cell(db, org_id=org_id, role=role, permission=permission, allowed=allowed)
        if changed:
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="permissions.changed",
                details={
                    "cells": [
                        {"role": r.value, "permission": p.value, "allowed": allowed}
                        for r, p, allowed in changed
                    ]
                },
            )
    notice = "matrix-saved" if changed else "matrix-unchanged"
    return RedirectResponse(f"/admin/permissions?notice={notice}", status_code=303)


@router.get("/admin/settings")
def settings_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The AI features switch (admins only)."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
        org = organizations.get(db, org_id=org_id)
    return render(
        request,
        "settings.html",
        {
            "title": "AI features",
            "ai_enabled": org.ai_enabled,
            "document_filter": org.authoring_document_filter,
            "document_filter_options": DOCUMENT_FILTERS,
            "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
        },
    )


@router.post("/admin/settings")
def save_settings(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Switch AI features on or off (as PATCH /api/org)."""
    enabled = text(form, "ai_enabled") == "true"
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
        org = organizations.get(db, org_id=org_id)
        if org.ai_enabled != enabled:
            organizations.set_ai_enabled(db, org_id=org_id, enabled=enabled)
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="org.ai_switched",
                details={"ai_enabled": enabled},
            )
    return RedirectResponse(f"/admin/settings?notice=ai-{'on' if enabled else 'off'}", status_code=303)


@router.post("/admin/settings/document-filter")
def save_document_filter(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Set how strictly authoring screens the organization's documents (as PATCH /api/org)."""
    level = text(form, "authoring_document_filter")
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require_admin(db, org_id=org_id, user_id=page.principal.user_id)
        if level not in dict(DOCUMENT_FILTERS):
            raise InvalidInput("choose one of the listed levels", param="authoring_document_filter")
        org = organizations.get(db, org_id=org_id)
        if org.authoring_document_filter != level:
            organizations.set_authoring_document_filter(db, org_id=org_id, level=level)
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="org.authoring_document_filter_changed",
                details={"authoring_document_filter": level},
            )
    return RedirectResponse("/admin/settings?notice=document-filter-saved", status_code=303)
