"""Users of an organization: creation, password sign-in and tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.core.auth import secrets
from tutela.core.permissions import service as permissions
from tutela.core.users.exceptions import (
    EmailTaken,
    TokenExpired,
    TokenRevoked,
    WeakPassword,
    WrongCredentials,
)
from tutela.core.users.models import User, UserToken
from tutela.errors import NotFound
from tutela.storage.tenancy import get_owned, scoped


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively."""
    return email.strip().lower()


def create(
    db: Session, *, org_id: str, email: str, display_name: str, password: str, min_password_length: int
) -> User:
    """Add a user with a hashed password."""
    email = normalize_email(email)
    if len(password) < min_password_length:
        raise WeakPassword(f"password must have at least {min_password_length} characters", param="password")
    if db.scalars(scoped(User, org_id).where(User.email == email)).first() is not None:
        raise EmailTaken(f"a user with email {email!r} already exists", param="email")
    user = User(
        org_id=org_id,
        email=email,
        display_name=display_name.strip() or email,
        password_hash=secrets.hash_password(password),
    )
    db.add(user)
    db.flush()
    return user


def get(db: Session, *, org_id: str, user_id: str) -> User:
    """One user of the organization."""
    return get_owned(db, User, user_id, org_id=org_id, what="user")


def list_users(db: Session, *, org_id: str) -> list[User]:
    """All users of the organization, by email."""
    return list(db.scalars(scoped(User, org_id).order_by(User.email)))


def set_active(db: Session, *, org_id: str, user_id: str, active: bool, now: datetime) -> User:
    """Deactivate or reactivate a user; deactivation revokes their tokens."""
    user = get(db, org_id=org_id, user_id=user_id)
    if not active:
        permissions.keep_an_active_admin(db, org_id=org_id, user_id=user_id)
    user.is_active = active
    if not active:
        for token in db.scalars(scoped(UserToken, org_id).where(UserToken.user_id == user_id)):
            token.revoked_at = token.revoked_at or now
    db.flush()
    return user


def authenticate(db: Session, *, org_id: str, email: str, password: str) -> User:
    """The active user with this email and password, or WrongCredentials."""
    user = db.scalars(scoped(User, org_id).where(User.email == normalize_email(email))).one_or_none()
    if user is None or not user.is_active:
        secrets.verify_nothing(password)  # a missing user costs as much time as a wrong password
        raise WrongCredentials("wrong organization, email or password")
    if not secrets.verify_password(user.password_hash, password):
        raise WrongCredentials("wrong organization, email or password")
    return user


def issue_token(
    db: Session, *, org_id: str, user_id: str, kind: str, name: str = "", expires_at: datetime | None
) -> tuple[UserToken, str]:
    """A new session or API token; the raw token is returned once and never stored."""
    secret, secret_hash = secrets.new_secret()
    token = UserToken(
        org_id=org_id, user_id=user_id, kind=kind, name=name, secret_hash=secret_hash, expires_at=expires_at
    )
    db.add(token)
    db.flush()
    return token, secrets.format_token("tu1", org_id=org_id, token_id=token.id, secret=secret)


def resolve_token(db: Session, *, parsed: secrets.ParsedToken, now: datetime) -> tuple[User, UserToken]:
    """The user behind a presented token, checking secret, expiry, revocation and the user's state."""
    token = db.scalars(scoped(UserToken, parsed.org_id).where(UserToken.id == parsed.token_id)).one_or_none()
    if token is None or not secrets.secret_matches(token.secret_hash, parsed.secret):
        raise WrongCredentials("invalid token")
    if token.revoked_at is not None:
        raise TokenRevoked("this token was revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenExpired("this token has expired; sign in again or create a new token")
    user = db.get(User, token.user_id)
    if user is None or not user.is_active:
        raise WrongCredentials("the account behind this token is disabled")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, so a busy script does not write on every call
    return user, token


def list_tokens(db: Session, *, org_id: str, user_id: str) -> list[UserToken]:
    """A user's API tokens, newest first (sessions are not listed)."""
    stmt = scoped(UserToken, org_id).where(UserToken.user_id == user_id, UserToken.kind == "api")
    return list(db.scalars(stmt.order_by(UserToken.created_at.desc())))


def revoke_token(db: Session, *, org_id: str, user_id: str, token_id: str, now: datetime) -> UserToken:
    """Revoke one of the user's tokens."""
    token = get_owned(db, UserToken, token_id, org_id=org_id, what="token")
    if token.user_id != user_id:
        raise NotFound(f"token {token_id!r} not found")  # same answer as a foreign id: nothing leaks
    token.revoked_at = token.revoked_at or now
    db.flush()
    return token


def find_by_email(db: Session, *, org_id: str, email: str) -> User | None:
    """A user by email, if any."""
    return db.scalars(
        select(User).where(User.org_id == org_id, User.email == normalize_email(email))
    ).one_or_none()
