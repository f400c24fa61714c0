"""Users, groups and memberships (the permission `users.manage`; admin roles and admins need an admin)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.core import schemas
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission, Role
from tutela.core.users import service as users
from tutela.errors import PermissionDenied, TutelaError
from tutela.runtime import Runtime
from tutela.web.labels import ROLE_LABELS
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render, sentence

router = page_router()

NOTICES = {
    "user-created": "The user was created.",
    "user-deactivated": "The user was deactivated and signed out everywhere.",
    "user-activated": "The user was reactivated.",
    "group-created": "The group was created.",
    "member-set": "The membership was saved.",
    "member-removed": "The member was removed from the group.",
}
ROLE_OPTIONS = [(r.value, ROLE_LABELS[r]) for r in Role]
USER_FIELDS = {"email", "display_name", "password", "role", "group_id"}


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("notice", ""), "")


def _require(runtime: Runtime, page: UserPage) -> None:
    with runtime.region_session(page.principal.org_id) as db:
        permissions.require(
            db,
            org_id=page.principal.org_id,
            user_id=page.principal.user_id,
            permission=Permission.MANAGE_USERS,
        )


def _users_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.MANAGE_USERS
        )
        people = users.list_users(db, org_id=org_id)
        roles = {
            u.id: ", ".join(
                ROLE_LABELS[r] for r in Role if r in permissions.roles_of(db, org_id=org_id, user_id=u.id)
            )
            for u in people
        }
        all_groups = groups.list_groups(db, org_id=org_id)
        everyone = organizations.everyone_group(db, org_id=org_id)
    return render(
        request,
        "users.html",
        {
            "title": "Users",
            "people": people,
            "roles": roles,
            "role_options": ROLE_OPTIONS,
            "group_options": [(g.id, g.name) for g in all_groups],
            "everyone_id": everyone.id,
            "errors": errors or {},
            "values": values or {},
            "notice": _notice(request),
        },
        status_code=status_code,
    )


@router.get("/admin/users")
def users_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Every user of the organization, and the form to add one."""
    return _users_page(request, runtime, page)


@router.post("/admin/users")
def create_user(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Add a user with a role in a group (the same steps as POST /api/users)."""
    _require(runtime, page)
    values = {name: text(form, name) for name in USER_FIELDS - {"password"}}
    org_id, actor = page.principal.org_id, page.principal.actor
    try:
        body = schemas.UserCreate.model_validate(
            values | {"password": str(form.get("password", "")), "group_id": values["group_id"] or None}
        )
        with runtime.region_session(org_id) as db:
            permissions.require_admin_for_admins(
                db, org_id=org_id, user_id=page.principal.user_id, role=body.role
            )
            group = (
                groups.get(db, org_id=org_id, group_id=body.group_id)
                if body.group_id
                else organizations.everyone_group(db, org_id=org_id)
            )
            user = users.create(
                db,
                org_id=org_id,
                email=body.email,
                display_name=body.display_name,
                password=body.password,
                min_password_length=runtime.settings.auth.min_password_length,
            )
            groups.add_member(db, org_id=org_id, group_id=group.id, user_id=user.id, role=body.role)
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=actor,
                action="user.created",
                target=f"user:{user.id}",
                details={"role": body.role.value, "group": group.id},
            )
    except PermissionDenied as exc:
        errors = {"role": sentence(exc.message)}
        return _users_page(request, runtime, page, errors=errors, values=values, status_code=403)
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields=USER_FIELDS)
        return _users_page(request, runtime, page, errors=errors, values=values, status_code=status_code)
    return RedirectResponse("/admin/users?notice=user-created", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(
    user_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Deactivate (revoking every token) or reactivate a user (as PATCH /api/users/{id})."""
    active = text(form, "active") == "true"
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.MANAGE_USERS
        )
        permissions.require_admin_for_admins(
            db, org_id=org_id, user_id=page.principal.user_id, target_user_id=user_id
        )
        users.set_active(db, org_id=org_id, user_id=user_id, active=active, now=runtime.clock.now())
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor=page.principal.actor,
            action="user.activated" if active else "user.deactivated",
            target=f"user:{user_id}",
        )
    return RedirectResponse(
        f"/admin/users?notice=user-{'activated' if active else 'deactivated'}", status_code=303
    )


def _groups_context(runtime: Runtime, page: UserPage) -> dict[str, Any]:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.MANAGE_USERS
        )
        all_groups = groups.list_groups(db, org_id=org_id)
        counts = {g.id: len(groups.members(db, org_id=org_id, group_id=g.id)) for g in all_groups}
    return {"title": "Groups", "groups": all_groups, "counts": counts}


def _groups_error(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    errors: dict[str, str],
    values: dict[str, str],
    status: int,
) -> Response:
    context = _groups_context(runtime, page) | {"errors": errors, "values": values}
    return render(request, "groups.html", context, status_code=status)


@router.get("/admin/groups")
def groups_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Every group, with how many members it has, and the form to add one."""
    return render(request, "groups.html", _groups_context(runtime, page) | {"notice": _notice(request)})


@router.post("/admin/groups")
def create_group(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Create a group (as POST /api/groups)."""
    _require(runtime, page)
    values = {"name": text(form, "name"), "description": text(form, "description")}
    org_id = page.principal.org_id
    try:
        body = schemas.GroupCreate.model_validate(values)
        with runtime.region_session(org_id) as db:
            group = groups.create(db, org_id=org_id, name=body.name, description=body.description)
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="group.created",
                target=f"group:{group.id}",
            )
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields={"name", "description"})
        return _groups_error(request, runtime, page, errors, values, status_code)
    return RedirectResponse(f"/admin/groups/{group.id}?notice=group-created", status_code=303)


def _group_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    group_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.MANAGE_USERS
        )
        group = groups.get(db, org_id=org_id, group_id=group_id)
        memberships = groups.members(db, org_id=org_id, group_id=group_id)
        people = {u.id: u for u in users.list_users(db, org_id=org_id)}
    members = [(people[m.user_id], ROLE_LABELS[Role(m.role)]) for m in memberships if m.user_id in people]
    members.sort(key=lambda pair: pair[0].email)
    return render(
        request,
        "group.html",
        {
            "title": group.name,
            "group": group,
            "members": members,
            "user_options": [(u.id, f"{u.display_name} <{u.email}>") for u in people.values() if u.is_active],
            "role_options": ROLE_OPTIONS,
            "errors": errors or {},
            "values": values or {},
            "notice": _notice(request),
        },
        status_code=status_code,
    )


@router.get("/admin/groups/{group_id}")
def group_page(group_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """One group: its members and their roles, and the form to add someone."""
    return _group_page(request, runtime, page, group_id)


@router.post("/admin/groups/{group_id}/members")
def set_member(
    group_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Give a user a role in the group (as PUT /api/groups/{id}/members)."""
    values = {"user_id": text(form, "user_id"), "role": text(form, "role")}
    org_id = page.principal.org_id
    try:
        body = schemas.MembershipCreate.model_validate(values)
        with runtime.region_session(org_id) as db:
            permissions.require(
                db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.MANAGE_USERS
            )
            groups.get(db, org_id=org_id, group_id=group_id)
            permissions.require_admin_for_admins(
                db, org_id=org_id, user_id=page.principal.user_id, role=body.role, target_user_id=body.user_id
            )
            groups.add_member(db, org_id=org_id, group_id=group_id, user_id=body.user_id, role=body.role)
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="membership.set",
                target=f"group:{group_id}",
                details={"user": body.user_id, "role": body.role.value},
            )
    except (ValidationError, PermissionDenied) as exc:
        if isinstance(exc, PermissionDenied) and exc.code != "admin_only":
            raise  # only "an admin role needs an admin" is shown on the form; the rest is the error page
        errors, status_code = refusal(exc)
        return _group_page(
            request, runtime, page, group_id, errors=errors, values=values, status_code=status_code
        )
    return RedirectResponse(f"/admin/groups/{group_id}?notice=member-set", status_code=303)


@router.post("/admin/groups/{group_id}/members/{user_id}/remove")
def remove_member(
    group_id: str, user_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Take a user out of the group (as DELETE /api/groups/{id}/members/{user_id})."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.MANAGE_USERS
        )
        permissions.require_admin_for_admins(
            db, org_id=org_id, user_id=page.principal.user_id, target_user_id=user_id
        )
        groups.remove_member(db, org_id=org_id, group_id=group_id, user_id=user_id)
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor=page.principal.actor,
            action="membership.removed",
            target=f"group:{group_id}",
            details={"user": user_id},
        )
    return RedirectResponse(f"/admin/groups/{group_id}?notice=member-removed", status_code=303)
