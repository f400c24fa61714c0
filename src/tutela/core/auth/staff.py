"""Platform staff: creation, sign-in and tokens (kept in the directory, never in a region)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tutela.core.auth import secrets
from tutela.core.auth.principal import StaffPrincipal
from tutela.core.directory import service as directory
from tutela.core.directory.models import StaffMember, StaffToken
from tutela.core.permissions.roles import StaffRole
from tutela.core.users.exceptions import (
    EmailTaken,
    TokenExpired,
    TokenRevoked,
    WeakPassword,
    WrongCredentials,
)
from tutela.errors import PermissionDenied


def create_staff(
    db: Session, *, email: str, password: str, roles: set[StaffRole], location: str, min_password_length: int
) -> StaffMember:
    """Add a platform staff member."""
    if len(password) < min_password_length:
        raise WeakPassword(f"password must have at least {min_password_length} characters", param="password")
    if directory.find_staff(db, email=email) is not None:
        raise EmailTaken(f"a staff member with email {email!r} already exists", param="email")
    member = StaffMember(
        email=email.strip().lower(),
        password_hash=secrets.hash_password(password),
        roles=",".join(sorted(r.value for r in roles)),
        location=location,
    )
    db.add(member)
    db.flush()
    return member


def sign_in(db: Session, *, email: str, password: str, now: datetime, hours: int) -> tuple[StaffMember, str]:
    """Check a staff password and open a session token."""
    member = directory.find_staff(db, email=email)
    if member is None:
        secrets.verify_nothing(password)  # a missing member costs as much time as a wrong password
        raise WrongCredentials("wrong email or password")
    if not secrets.verify_password(member.password_hash, password) or not member.is_active:
        raise WrongCredentials("wrong email or password")
    secret, secret_hash = secrets.new_secret()
    token = StaffToken(
        staff_id=member.id, kind="session", secret_hash=secret_hash, expires_at=now + timedelta(hours=hours)
    )
    db.add(token)
    db.flush()
    return member, secrets.format_token("ts1", org_id="", token_id=token.id, secret=secret)


def resolve_staff_token(db: Session, *, parsed: secrets.ParsedToken, now: datetime) -> StaffPrincipal:
    """The staff member behind a token."""
    token = db.get(StaffToken, parsed.token_id)
    if token is None or not secrets.secret_matches(token.secret_hash, parsed.secret):
        raise WrongCredentials("invalid token")
    if token.revoked_at is not None:
        raise TokenRevoked("this token was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenExpired("this token has expired; sign in again")
    member = db.get(StaffMember, token.staff_id)
    if member is None or not member.is_active:
        raise WrongCredentials("the account behind this token is disabled")
    return StaffPrincipal(
        staff_id=member.id,
        token_id=token.id,
        location=member.location,
        roles=frozenset(StaffRole(r) for r in member.roles.split(",") if r),
    )


def revoke_token(db: Session, *, token_id: str, now: datetime) -> None:
    """End a staff session or token (signing out); revoking twice changes nothing."""
    token = db.get(StaffToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = now
        db.flush()


def require_role(principal: StaffPrincipal, role: StaffRole) -> None:
    """Raise unless the staff member holds the platform role."""
    if role not in principal.roles:
        raise PermissionDenied(f"this needs the platform role {role.value!r}")
