"""Rate limits and token budgets for admins (`ai.manage_resources`): what is set for the organization, its
AI resources, API keys and users, and a form to set or remove them (as /api/ai/limits, audited)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.core.users import service as users
from tutela.errors import NotFound, TutelaError
from tutela.gateway.limits import service as limits
from tutela.gateway.limits.schemas import MAX_LIMIT, LimitSet, LimitValues
from tutela.gateway.resources import service as resources
from tutela.gateway.resources.names import key_name
from tutela.runtime import Runtime
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

FIELDS = {
    "requests_per_minute": "Requests per minute",
    "tokens_per_minute": "Tokens per minute",
    "tokens_per_day": "Tokens per day (UTC)",
    "tokens_per_month": "Tokens per calendar month",
}
NUMBER = f"Enter a whole number from 0 to {MAX_LIMIT:,}, or leave it empty for no limit."
NOTICES = {
    "saved": "The limits were saved. They apply to new requests within a few seconds.",
    "removed": "The limits were removed.",
}


def _require(runtime: Runtime, page: UserPage) -> None:
    with runtime.region_session(page.principal.org_id) as db:
        permissions.require(
            db,
            org_id=page.principal.org_id,
            user_id=page.principal.user_id,
            permission=Permission.MANAGE_AI_RESOURCES,
        )


def _subjects(runtime: Runtime, org_id: str) -> list[tuple[str, str, str]]:
    """Whatever may be limited, as (form value, group, name): the organization, resources, keys, users."""
    with runtime.region_session(org_id) as db:
        found = resources.list_resources(db, org_id=org_id)
        names = {r.id: r.name for r in found}
        options = [("organization", "Organization", "The whole organization")]
        options += [(f"resource:{r.id}", "AI resources", f"AI resource {r.name}") for r in found]
        for resource in found:
            for key in resources.list_keys(db, org_id=org_id, resource_id=resource.id):
                if key.revoked_at is None:
                    options.append((f"key:{key.id}", "API keys", key_name(key, names[resource.id])))
        for user in users.list_users(db, org_id=org_id):
            who = f"{user.display_name} ({user.email})" if user.display_name else user.email
            options.append((f"user:{user.id}", "Users", who))
    return options


def _page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _require(runtime, page)
    org_id = page.principal.org_id
    subjects = _subjects(runtime, org_id)
    names = {value: name for value, _, name in subjects}
    with runtime.region_session(org_id) as db:
        rows = [
            {
                "id": row.id,
                "subject": names.get(
                    "organization" if row.scope == "organization" else f"{row.scope}:{row.subject_id}",
                    f"{row.scope} {row.subject_id} (no longer exists)",
                ),
                "values": [getattr(row, name) for name in FIELDS],
            }
            for row in limits.list_limits(db, org_id=org_id)
        ]
    groups: dict[str, list[tuple[str, str]]] = {}
    for value, group, name in subjects:
        groups.setdefault(group, []).append((value, name))
    context: dict[str, Any] = {
        "title": "Rate limits and budgets",
        "rows": rows,
        "fields": FIELDS,
        "groups": groups,
        "errors": errors or {},
        "values": values or {},
        "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
    }
    return render(
        request, "limits.html", context, status_code=status_code, headers={"HX-Replace-Url": "/admin/limits"}
    )


@router.get("/admin/limits")
def limits_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Every limit the organization set, and the form to set one."""
    return _page(request, runtime, page)


@router.post("/admin/limits")
def set_limits(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Set (replace) the limits of one subject; an empty field is no limit."""
    _require(runtime, page)
    values = {"subject": text(form, "subject")} | {name: text(form, name) for name in FIELDS}
    scope, _, subject_id = values["subject"].partition(":")
    org_id = page.principal.org_id
    try:
        if scope == "organization" and subject_id not in ("", org_id):
            raise NotFound("another organization")  # the form offers only this one
        body = LimitSet.model_validate(
            {"scope": scope, "subject_id": subject_id or None} | {n: values[n] or None for n in FIELDS}
        )
        if all(values[name] == "" for name in FIELDS):
            return _page(
                request, runtime, page, values=values, status_code=422,
                errors={"form": "Fill in at least one limit, or remove this one's limits from the table."},
            )  # fmt: skip
        limit_values = LimitValues.model_validate(body.model_dump(include=set(FIELDS)))
        with runtime.region_session(org_id) as db:
            row = limits.set_limits(
                db, org_id=org_id, scope=body.scope, subject_id=body.subject_id, values=limit_values
            )
            limits.record_change(runtime, db, actor=page.principal.actor, row=row)
    except NotFound:  # a subject of another organization, or one deleted since the page was shown
        errors = {"subject": "This one was not found in your organization. Choose one from the list."}
        return _page(request, runtime, page, errors=errors, values=values, status_code=404)
    except (ValidationError, TutelaError) as exc:
        reworded = dict.fromkeys(FIELDS, NUMBER) | {"scope": "Choose what the limits apply to."}
        errors, status_code = refusal(exc, fields={"subject"}, reworded=reworded)
        for moved in ("scope", "subject_id"):  # the form's one field for both
            if moved in errors:
                errors["subject"] = errors.pop(moved)
        return _page(request, runtime, page, errors=errors, values=values, status_code=status_code)
    return RedirectResponse("/admin/limits?notice=saved", status_code=303)


@router.post("/admin/limits/{limit_id}/remove")
def remove_limits(limit_id: str, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Remove one subject's limits (another organization's: not found)."""
    _require(runtime, page)
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        row = limits.delete_limits(db, org_id=org_id, limit_id=limit_id)
        limits.record_change(runtime, db, actor=page.principal.actor, row=row, removed=True)
    return RedirectResponse("/admin/limits?notice=removed", status_code=303)
