"""FastAPI dependencies: the runtime, the caller, and the unit of work on the caller's region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from tutela.core.auth import secrets
from tutela.core.auth.principal import StaffPrincipal, UserPrincipal
from tutela.core.auth.staff import resolve_staff_token
from tutela.core.users import service as users
from tutela.core.users.exceptions import WrongCredentials
from tutela.errors import AuthenticationFailed, NotFound, PermissionDenied
from tutela.runtime import Runtime

SESSION_COOKIE = "tutela_session"


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was created with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class CookieSignOutRefused(PermissionDenied):
    """A sign-out through the API that carried only the session cookie."""

    code = "bearer_required"


def bearer_only(request: Request) -> None:
    """Refuse a call that carries no `Authorization` header (only, perhaps, the session cookie).

    A cookie rides along with any same-site request a page could be tricked into making, so the API signs
    out only the bearer token presented; web pages sign out through their CSRF-checked form (`/logout`).
    """
    if not request.headers.get("authorization"):
        raise CookieSignOutRefused(
            "send the token to sign out as 'Authorization: Bearer <token>' (pages use their sign-out form)"
        )


def presented_token(request: Request) -> str:
    """The bearer token from the Authorization header, else the session cookie."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
        return value.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    raise AuthenticationFailed("sign in first: no token or session was presented")


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: as uvicorn's --proxy-headers set it)."""
    return request.client.host if request.client is not None else "unknown"


def _parsed(request: Request, runtime: Runtime, address: str) -> secrets.ParsedToken:
    """The presented token's parts; a malformed one counts as a failed attempt from the address."""
    raw = presented_token(request)
    try:
        return secrets.parse_token(raw)
    except AuthenticationFailed:
        runtime.throttle.credentials.failed(address)
        raise


def current_user(request: Request, runtime: RuntimeDep) -> UserPrincipal:
    """The signed-in organization user, checked against their region's database. Wrong tokens are
    throttled per client address (429 with Retry-After)."""
    address = client_address(request)
    runtime.throttle.credentials.refuse_if_blocked(address)
    parsed = _parsed(request, runtime, address)
    if parsed.kind != "user":
        raise AuthenticationFailed("this endpoint needs a user token, not an API key or staff token")
    try:
        region = runtime.region_of(parsed.org_id)
    except NotFound:
        runtime.throttle.credentials.failed(address)
        raise AuthenticationFailed("invalid token") from None
    try:
        with region.db.session() as db:
            user, token = users.resolve_token(db, parsed=parsed, now=runtime.clock.now())
            principal = UserPrincipal(
                org_id=user.org_id, user_id=user.id, token_id=token.id, token_kind=token.kind
            )
    except WrongCredentials:
        runtime.throttle.credentials.failed(address)
        raise
    request.state.principal = principal
    return principal


CurrentUser = Annotated[UserPrincipal, Depends(current_user)]


def region_db(principal: CurrentUser, runtime: RuntimeDep) -> Iterator[Session]:
    """One unit of work on the caller's region database: committed on success, rolled back on error."""
    with runtime.region_session(principal.org_id) as db:
        yield db


RegionDB = Annotated[Session, Depends(region_db, scope="function")]  # commit before the response goes out


def current_staff(request: Request, runtime: RuntimeDep) -> StaffPrincipal:
    """The signed-in platform staff member (wrong tokens throttled per client address, as for users)."""
    address = client_address(request)
    runtime.throttle.credentials.refuse_if_blocked(address)
    parsed = _parsed(request, runtime, address)
    if parsed.kind != "staff":
        raise PermissionDenied("this endpoint is for platform staff")
    try:
        with runtime.directory.session() as ddb:
            principal = resolve_staff_token(ddb, parsed=parsed, now=runtime.clock.now())
    except WrongCredentials:
        runtime.throttle.credentials.failed(address)
        raise
    request.state.principal = principal
    return principal


CurrentStaff = Annotated[StaffPrincipal, Depends(current_staff)]


def directory_db(runtime: RuntimeDep) -> Iterator[Session]:
    """One unit of work on the directory database."""
    with runtime.directory.session() as db:
        yield db


DirectoryDB = Annotated[Session, Depends(directory_db, scope="function")]
