"""OpenAI error bodies: the model, and builders from status codes and validation errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tutela.gateway.wire.exceptions import (
    AuthenticationError,
    GatewayError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    UpstreamError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)


class ErrorDetail(BaseModel):
    """The inner ``error`` object; lenient because upstreams fill it loosely."""

    model_config = ConfigDict(extra="allow")

    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | int | None = None


class ErrorBody(BaseModel):
    """``{"error": {"message", "type", "param", "code"}}``."""

    model_config = ConfigDict(extra="allow")

    error: ErrorDetail


_BY_STATUS: dict[int, type[GatewayError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
    429: RateLimitError,
    500: InternalServerError,
    502: UpstreamError,
    503: UpstreamUnavailableError,
    504: UpstreamTimeoutError,
}


def error_for_status(status_code: int, message: str, *, param: str | None = None) -> GatewayError:
    """Build the gateway error class that owns ``status_code`` (500 if none does)."""
    cls = _BY_STATUS.get(status_code, InternalServerError)
    if cls is RateLimitError:
        return RateLimitError(message, param=param)
    return cls(message, param=param)


# Pydantic puts union-member labels into ``loc`` ("str", "list[...]", "role=user");
# none of them is a real field name, so they are dropped from the param path.
_TYPE_LABELS = frozenset({"str", "int", "float", "bool", "none", "dict", "list", "is-instance"})


def _is_label(part: str) -> bool:
    return part in _TYPE_LABELS or any(ch in part for ch in "[]=(),")


def param_from_loc(loc: Sequence[int | str]) -> str | None:
    """Turn a pydantic ``loc`` into an OpenAI param path like ``messages[0].content``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _is_label(part):
            out += f".{part}" if out else part
    return out or None


def _join(param: str | None, key: str) -> str:
    return f"{param}.{key}" if param else key


def _describe(err: dict[str, Any], param: str | None) -> tuple[str, str | None]:
    """Return (message, param) in OpenAI's phrasing."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "union_tag_not_found":
        param = _join(param, str(ctx.get("discriminator", "type")).strip("'").removesuffix("()"))
        return f"Missing required parameter: '{param}'.", param
    if kind == "union_tag_invalid":
        key, _, value = str(ctx.get("tag", "")).partition("=")
        param = _join(param, key)
        allowed = ", ".join(
            f"'{t.strip().strip(chr(39)).partition('=')[2]}'"
            for t in str(ctx.get("expected_tags", "")).split(",")
        )
        return f"Invalid value: '{value}'. Supported values for '{param}' are: {allowed}.", param
    name = f"'{param}'" if param else "the request body"
    if kind == "missing":
        return f"Missing required parameter: {name}.", param
    if kind == "extra_forbidden":
        return f"Unrecognized request argument supplied: {param}", param
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"Invalid value for {name}: {msg[:1].lower()}{msg[1:]}.", param


def invalid_request_from_validation(exc: ValidationError) -> InvalidRequestError:
    """Translate a pydantic error into one precise 400 naming the offending param."""
    errors = exc.errors(include_url=False)
    if not errors:
        return InvalidRequestError("Invalid request body.")
    # With unions every member reports; the deepest location is the most specific.
    best = max(errors, key=lambda e: len([p for p in e["loc"] if not (isinstance(p, str) and _is_label(p))]))
    message, param = _describe(dict(best), param_from_loc(best["loc"]))
    return InvalidRequestError(message, param=param)
