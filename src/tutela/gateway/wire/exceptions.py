"""Gateway errors, each of which knows its OpenAI-shaped status, type and code.

The tree (status, OpenAI ``type`` / ``code``); types follow ``tutela.app.ERROR_TYPES``::

    TutelaError (tutela.errors)
    └── GatewayError                          500 server_error / internal_error
        ├── InvalidRequestError (InvalidInput)       400 invalid_request_error / invalid_request
        │   ├── UnsupportedOperationError            400 … / unsupported_operation
        │   └── UpstreamInvalidRequestError          400 … / the upstream's code, message and param
        ├── AuthenticationError (AuthenticationFailed) 401 authentication_error / invalid_api_key
        ├── PermissionDeniedError (PermissionDenied) 403 permission_error / permission_denied
        ├── NotFoundError (NotFound)                 404 not_found_error / model_not_found
        ├── PayloadTooLargeError (PayloadTooLarge)   413 invalid_request_error / request_too_large
        ├── RateLimitError                           429 rate_limit_error / rate_limit_exceeded
        │   └── UpstreamRateLimitError               429 … (the upstream throttles the gateway)
        ├── InternalServerError                      500 server_error / internal_error
        │   └── ProviderConfigurationError           500 … / deployment_misconfigured
        └── UpstreamError                            502 server_error / upstream_error
            ├── UpstreamAuthenticationError          502 … / upstream_auth_failed
            ├── UpstreamConnectionError              502 … / upstream_connection_failed
            ├── UpstreamResponseError                502 … / upstream_bad_response
            ├── UpstreamStreamError                  502 … / upstream_stream_interrupted
            ├── UpstreamUnavailableError (Unavailable) 503 service_unavailable_error / upstream_unavailable
            └── UpstreamTimeoutError                 504 server_error / upstream_timeout

Request validation failures are 400, as OpenAI answers them; the gateway never sends 422.
``headers`` carries response headers the HTTP layer should add (``Retry-After``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tutela.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    TutelaError,
    Unavailable,
)


class GatewayError(TutelaError):
    """Base of every error the gateway turns into an OpenAI error body."""

    status_code = 500
    error_type: ClassVar[str] = "server_error"
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, param=param)
        self.code = code or type(self).code
        # Extra response headers, e.g. Retry-After on 429/503.
        self.headers: dict[str, str] = dict(headers or {})

    def to_body(self) -> dict[str, Any]:
        """Return the OpenAI error body ``{"error": {...}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, param={self.param!r}, code={self.code!r})"


class InvalidRequestError(GatewayError, InvalidInput):
    """The client's request is malformed or asks for something impossible."""

    status_code = 400
    error_type = "invalid_request_error"
    code = "invalid_request"


class UnsupportedOperationError(InvalidRequestError):
    """The deployment's provider cannot do what was asked (e.g. embeddings)."""

    code = "unsupported_operation"


class UpstreamInvalidRequestError(InvalidRequestError):
    """The upstream rejected the request as invalid; its message is forwarded."""


class AuthenticationError(GatewayError, AuthenticationFailed):
    """The client's gateway API key is missing or wrong."""

    status_code = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(GatewayError, PermissionDenied):
    """The client's key is valid but may not use this resource."""

    status_code = 403
    error_type = "permission_error"
    code = "permission_denied"


class NotFoundError(GatewayError, NotFound):
    """The model / deployment named by the client does not exist."""

    status_code = 404
    error_type = "not_found_error"
    code = "model_not_found"


class PayloadTooLargeError(GatewayError, PayloadTooLarge):
    """The request body exceeds the gateway's size limit."""

    status_code = 413
    error_type = "invalid_request_error"
    code = "request_too_large"


class RateLimitError(GatewayError):
    """Too many requests; ``retry_after`` seconds is a hint for the client."""

    status_code = 429
    error_type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after is not None else None
        super().__init__(message, param=param, code=code, headers=headers)
        self.retry_after = retry_after


class UpstreamRateLimitError(RateLimitError):
    """The upstream throttled the gateway and retries did not get through."""


class InternalServerError(GatewayError):
    """A bug or unexpected state inside the gateway."""

    code = "internal_error"


class ProviderConfigurationError(InternalServerError):
    """A deployment is misconfigured (e.g. its API key variable is unset).

    Clients get a generic message; ``str(exc)`` and ``detail`` name the problem for the operator.
    """

    code = "deployment_misconfigured"

    def __init__(self, detail: str) -> None:
        super().__init__("The deployment is misconfigured; ask the gateway operator to check its settings.")
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class ModelUnavailableError(GatewayError, Unavailable):
    """A built-in model's files are missing or damaged: 503 with the reason, until the install is repaired."""

    status_code = 503
    error_type = "service_unavailable_error"
    code = "model_unavailable"


class UpstreamError(GatewayError):
    """The upstream failed in a way that is not the client's fault."""

    status_code = 502
    code = "upstream_error"


class UpstreamAuthenticationError(UpstreamError):
    """The upstream rejected the gateway's own credentials (401/403)."""

    code = "upstream_auth_failed"


class UpstreamConnectionError(UpstreamError):
    """The upstream could not be reached (refused, reset, DNS)."""

    code = "upstream_connection_failed"


class UpstreamResponseError(UpstreamError):
    """The upstream answered with something that is not valid OpenAI JSON."""

    code = "upstream_bad_response"


class UpstreamStreamError(UpstreamError):
    """The upstream stream broke after the gateway had started forwarding it."""

    code = "upstream_stream_interrupted"


class UpstreamUnavailableError(UpstreamError, Unavailable):
    """The upstream is overloaded or down (503 after retries)."""

    status_code = 503
    error_type = "service_unavailable_error"
    code = "upstream_unavailable"


class UpstreamTimeoutError(UpstreamError):
    """The upstream did not answer within the deployment's timeouts."""

    status_code = 504
    code = "upstream_timeout"
