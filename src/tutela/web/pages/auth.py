"""Signing in and out: organization users at /login, platform staff at /platform/login."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.core import schemas
from tutela.core.auth import secrets, signin, staff
from tutela.core.auth.dependencies import SESSION_COOKIE, RuntimeDep, client_address
from tutela.core.users import service as users
from tutela.core.users.exceptions import WrongCredentials
from tutela.errors import AuthenticationFailed, NotFound, TooManyAttempts
from tutela.runtime import Runtime
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.templating import render, sentence

router = page_router()

WRONG = "Wrong organization, email or password."


def safe_next(value: str | None, default: str) -> str:
    """A local path to go back to after signing in; anything else (another site) becomes the default."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def _set_session(response: Response, runtime: Runtime, raw: str) -> None:
    # The same cookie, with the same attributes, as POST /api/auth/login sets.
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.auth.secure_cookies,
        max_age=runtime.settings.auth.session_hours * 3600,
    )


def _login_page(
    request: Request,
    *,
    staff_login: bool,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "login.html",
        {
            "title": "Platform staff sign in" if staff_login else "Sign in",
            "action": "/platform/login" if staff_login else "/login",
            "staff_login": staff_login,
            "next": safe_next(request.query_params.get("next") or (values or {}).get("next"), ""),
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )


def _throttled(
    request: Request, exc: TooManyAttempts, *, staff_login: bool, values: dict[str, str]
) -> Response:
    page = _login_page(
        request,
        staff_login=staff_login,
        errors={"form": sentence(exc.message)},
        values=values,
        status_code=429,
    )
    page.headers.update(exc.headers)
    return page


@router.get("/login")
def login_form(request: Request) -> Response:
    """The sign-in form."""
    return _login_page(request, staff_login=False)


@router.post("/login")
def login(request: Request, form: Form, runtime: RuntimeDep) -> Response:
    """Sign in with organization, email and password (the same checks as POST /api/auth/login)."""
    values = {name: text(form, name) for name in ("organization", "email", "next")}
    try:
        body = schemas.LoginCreate(
            organization=values["organization"], email=values["email"], password=str(form.get("password", ""))
        )
    except ValidationError as exc:
        errors, status_code = refusal(exc)
        return _login_page(request, staff_login=False, errors=errors, values=values, status_code=status_code)
    try:
        session = signin.sign_in_user(
            runtime,
            organization=body.organization,
            email=body.email,
            password=body.password,
            address=client_address(request),
        )
    except TooManyAttempts as exc:
        return _throttled(request, exc, staff_login=False, values=values)
    except WrongCredentials:
        return _login_page(request, staff_login=False, errors={"form": WRONG}, values=values, status_code=401)
    response = RedirectResponse(safe_next(values["next"], "/"), status_code=303)
    _set_session(response, runtime, session.token)
    return response


def _signed_out(request: Request, runtime: Runtime, *, to: str) -> Response:
    """Revoke the session token the cookie holds (a user's or a staff member's), clear it, redirect."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    now = runtime.clock.now()
    try:
        parsed = secrets.parse_token(raw)
        if parsed.kind == "user":
            with runtime.region_session(parsed.org_id) as db:
                user, token = users.resolve_token(db, parsed=parsed, now=now)
                users.revoke_token(db, org_id=user.org_id, user_id=user.id, token_id=token.id, now=now)
        elif parsed.kind == "staff":
            with runtime.directory.session() as ddb:
                principal = staff.resolve_staff_token(ddb, parsed=parsed, now=now)
                staff.revoke_token(ddb, token_id=principal.token_id, now=now)
    except (AuthenticationFailed, NotFound):
        pass  # already signed out, expired or unknown: clearing the cookie is all that is left
    response = RedirectResponse(to, status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, form: Form, runtime: RuntimeDep) -> Response:
    """Revoke the session token and clear the cookie."""
    return _signed_out(request, runtime, to="/login")


@router.get("/platform/login")
def staff_login_form(request: Request) -> Response:
    """The platform staff sign-in form."""
    return _login_page(request, staff_login=True)


@router.post("/platform/login")
def staff_login(request: Request, form: Form, runtime: RuntimeDep) -> Response:
    """Sign in as platform staff (the same checks as POST /api/platform/auth/login)."""
    values = {name: text(form, name) for name in ("email", "next")}
    try:
        body = schemas.StaffLoginCreate(email=values["email"], password=str(form.get("password", "")))
    except ValidationError as exc:
        errors, status_code = refusal(exc)
        return _login_page(request, staff_login=True, errors=errors, values=values, status_code=status_code)
    try:
        session = signin.sign_in_staff(
            runtime, email=body.email, password=body.password, address=client_address(request)
        )
    except TooManyAttempts as exc:
        return _throttled(request, exc, staff_login=True, values=values)
    except WrongCredentials as exc:
        return _login_page(
            request,
            staff_login=True,
            errors={"form": sentence(exc.message)},
            values=values,
            status_code=401,
        )
    response = RedirectResponse(safe_next(values["next"], "/platform"), status_code=303)
    _set_session(response, runtime, session.token)
    return response


@router.post("/platform/logout")
def staff_logout(request: Request, form: Form, runtime: RuntimeDep) -> Response:
    """Revoke the staff session token and clear the cookie."""
    return _signed_out(request, runtime, to="/platform/login")
