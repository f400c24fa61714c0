"""User and sign-in errors."""

from __future__ import annotations

from tutela.errors import AuthenticationFailed, Conflict, InvalidInput


class WrongCredentials(AuthenticationFailed):
    """Unknown organization, unknown email or wrong password: one message for all, so none can be probed."""

    code = "wrong_credentials"


class TokenExpired(AuthenticationFailed):
    """The token's lifetime is over."""

    code = "token_expired"


class TokenRevoked(AuthenticationFailed):
    """The token was revoked."""

    code = "token_revoked"


class WeakPassword(InvalidInput):
    """The password is too short."""

    code = "weak_password"


class EmailTaken(Conflict):
    """Another user of the organization has this email."""

    code = "email_taken"
