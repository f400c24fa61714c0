"""Passwords and bearer secrets.

Passwords are hashed with Argon2id. Tokens and API keys are `<kind>.<org id>.<token id>.<secret>`: the ids
route the lookup to the right region and row without scanning, and only SHA-256 of the 256-bit secret is kept
(a slow hash adds nothing for a random secret of that size and would cost every request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tutela.errors import AuthenticationFailed
from tutela.storage.db import is_valid_id

_hasher = PasswordHasher()


def configure_password_hashing(*, time_cost: int, memory_kib: int) -> None:
    """Set the Argon2id cost for new hashes (called once when the runtime starts)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


TOKEN_KINDS = {"tu1": "user", "tk1": "api_key", "ts1": "staff"}


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; never raises on a wrong one."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password: str) -> None:
    """Spend what checking a password costs, when there is no account to check it against."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("not-a-real-password-0000"))
    verify_password(_dummy[1], password)


_dummy: tuple[PasswordHasher, str] | None = None


def new_secret() -> tuple[str, bytes]:
    """A fresh secret and the hash to store."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_secret(secret)


def hash_secret(secret: str) -> bytes:
    """SHA-256 of a token secret."""
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(stored: bytes, secret: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(stored, hash_secret(secret))


@dataclass(frozen=True)
class ParsedToken:
    """The parts of a presented bearer token."""

    kind: str
    org_id: str  # empty for staff tokens
    token_id: str
    secret: str


def format_token(prefix: str, *, org_id: str, token_id: str, secret: str) -> str:
    """The string handed to the user once."""
    return f"{prefix}.{org_id}.{token_id}.{secret}"


def parse_token(raw: str) -> ParsedToken:
    """Split a presented token, or raise AuthenticationFailed saying what is wrong with its shape."""
    parts = raw.strip().split(".")
    if len(parts) != 4 or parts[0] not in TOKEN_KINDS:
        raise AuthenticationFailed("malformed credential: expected a Tutela token or API key")
    prefix, org_id, token_id, secret = parts
    if (org_id and not is_valid_id(org_id)) or not is_valid_id(token_id) or not secret:
        raise AuthenticationFailed("malformed credential: expected a Tutela token or API key")
    return ParsedToken(TOKEN_KINDS[prefix], org_id, token_id, secret)
