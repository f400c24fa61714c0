"""Signing in with a password, for organization users and platform staff, throttled (see throttle.py).

The REST API and the web pages both sign in through here, so both get the same checks, the same answers and
the same delays. Unknown organizations, unknown emails and wrong passwords cost the same Argon2 check and get
the same answer, so neither the message nor the time tells which it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tutela.core.auth import secrets, staff
from tutela.core.auth.throttle import staff_account, user_account
from tutela.core.directory import service as directory
from tutela.core.organizations import service as organizations
from tutela.core.users import service as users
from tutela.core.users.exceptions import WrongCredentials
from tutela.errors import InvalidInput, NotFound
from tutela.runtime import Runtime


@dataclass(frozen=True)
class SignedIn:
    """A new session: its token id, the token (shown once) and when it expires."""

    token_id: str
    token: str
    expires_at: datetime | None


def organization_key(organization: str) -> str:
    """The slug a typed organization name stands for (the typed text itself when it has none)."""
    try:
        return directory.slugify(organization)
    except InvalidInput:
        return organization.strip().lower()


def sign_in_user(runtime: Runtime, *, organization: str, email: str, password: str, address: str) -> SignedIn:
    """Check an organization user's password and open a session, unless the account or address must wait."""
    account = user_account(organization_key(organization), email)
    issued: list[SignedIn] = []

    def check() -> None:
        issued.append(_user_session(runtime, organization=organization, email=email, password=password))

    runtime.throttle.sign_in.attempt(account, address, check)
    return issued[0]


def _user_session(runtime: Runtime, *, organization: str, email: str, password: str) -> SignedIn:
    try:  # a name that makes no slug is looked up as typed (and not found), to take the same time
        with runtime.directory.session() as ddb:
            placement = directory.find_by_slug(ddb, slug=organization_key(organization))
    except NotFound:
        secrets.verify_nothing(password)  # as long as a wrong password takes
        raise WrongCredentials("wrong organization, email or password") from None
    now = runtime.clock.now()
    with runtime.region_session(placement.id) as db:
        user = users.authenticate(db, org_id=placement.id, email=email, password=password)
        expires = now + timedelta(hours=runtime.settings.auth.session_hours)
        token, raw = users.issue_token(
            db, org_id=placement.id, user_id=user.id, kind="session", expires_at=expires
        )
        organizations.record(
            runtime, db, org_id=placement.id, actor=f"user:{user.id}", action="auth.signed_in"
        )
    return SignedIn(token_id=token.id, token=raw, expires_at=expires)


def sign_in_staff(runtime: Runtime, *, email: str, password: str, address: str) -> SignedIn:
    """Check a staff member's password and open a session, unless the account or address must wait."""
    issued: list[SignedIn] = []

    def check() -> None:
        with runtime.directory.session() as ddb:
            _, raw = staff.sign_in(
                ddb,
                email=email,
                password=password,
                now=runtime.clock.now(),
                hours=runtime.settings.auth.session_hours,
            )
        issued.append(SignedIn(token_id=raw.split(".")[2], token=raw, expires_at=None))

    runtime.throttle.sign_in.attempt(staff_account(email), address, check)
    return issued[0]


def unlock_user(runtime: Runtime, *, organization_slug: str, email: str) -> None:
    """Let an organization user sign in again at once, whatever failures their account has had."""
    runtime.throttle.unlock(user_account(organization_slug, email))


def unlock_staff(runtime: Runtime, *, email: str) -> None:
    """Let a staff member sign in again at once."""
    runtime.throttle.unlock(staff_account(email))
