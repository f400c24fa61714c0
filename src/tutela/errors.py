"""The root of Tutela's domain exceptions and their mapping to HTTP.

    TutelaError                 every domain error; carries an HTTP status and a stable code
    ├── NotFound                404 — also what another tenant's id gets, so existence never leaks
    ├── InvalidInput            400/422 — a precise message naming the field
    ├── Conflict                409
    ├── AuthenticationFailed    401
    ├── PermissionDenied        403
    ├── PayloadTooLarge         413
    ├── TooManyAttempts         429 — with Retry-After
    └── Unavailable             503 — with Retry-After when a retry later can succeed

Each domain package subclasses these in its own `exceptions.py`. Routers never catch them: one handler in
`tutela.app` turns them into JSON bodies (and, on gateway routes, OpenAI-shaped error bodies).
"""

from __future__ import annotations


class TutelaError(Exception):
    """Base of every domain error."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        # Response headers the HTTP layer adds (Retry-After on 429 and 503).
        self.headers: dict[str, str] = {}


class NotFound(TutelaError):
    """The object does not exist, or belongs to another tenant."""

    status_code = 404
    code = "not_found"


class InvalidInput(TutelaError):
    """The request is well-formed but its values are not acceptable."""

    status_code = 400
    code = "invalid_input"


class Conflict(TutelaError):
    """The object already exists or is in the wrong state."""

    status_code = 409
    code = "conflict"


class AuthenticationFailed(TutelaError):
    """Missing, wrong, expired or revoked credentials."""

    status_code = 401
    code = "authentication_failed"


class PermissionDenied(TutelaError):
    """Authenticated, but the permission matrix does not allow this."""

    status_code = 403
    code = "permission_denied"


class PayloadTooLarge(TutelaError):
    """The body is over the configured limit."""

    status_code = 413
    code = "payload_too_large"


class TooManyAttempts(TutelaError):
    """Too many failed authentications from this account or address; retry after the delay given."""

    status_code = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))
        self.headers["Retry-After"] = str(self.retry_after)


class Unavailable(TutelaError):
    """A dependency (region database, key manager) cannot be reached, or a bounded line is full."""

    status_code = 503
    code = "unavailable"

    def __init__(self, message: str, *, param: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, param=param)
        if retry_after is not None:
            self.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
