"""Translating upstream HTTP failures into the gateway's OpenAI-shaped errors.

===========================  ===========================================  =====
upstream                     gateway error                                status
===========================  ===========================================  =====
400 content filter refusal   UpstreamContentFilterError (Azure's shape)   400
400, 422                     UpstreamInvalidRequestError (upstream text)  400
401, 403                     UpstreamAuthenticationError (fixed text)     502
404                          UpstreamError "upstream_model_not_found"     502
408 (after retries)          UpstreamTimeoutError                         504
413                          PayloadTooLargeError                         413
429 (after retries)          UpstreamRateLimitError (+ Retry-After)       429
429 insufficient_quota       UpstreamRateLimitError, not retried          429
500, 502, other 5xx          UpstreamError                                502
503                          UpstreamUnavailableError (+ Retry-After)     503
504                          UpstreamTimeoutError                         504
other status                 UpstreamError                                502
connect refused/reset/DNS    UpstreamConnectionError                      502
connect timeout              UpstreamConnectionError                      502
read/write timeout           UpstreamTimeoutError                         504
local pool exhausted         UpstreamUnavailableError                     503
non-JSON / wrong shape       UpstreamResponseError                        502
error event mid-stream       UpstreamStreamError (upstream text)          502
stream cut mid-way           UpstreamStreamError                          502
===========================  ===========================================  =====
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import aiohttp

from tutela.gateway.safety.filtering_exceptions import UpstreamContentFilterError
from tutela.gateway.wire.exceptions import (
    GatewayError,
    PayloadTooLargeError,
    UpstreamAuthenticationError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamInvalidRequestError,
    UpstreamRateLimitError,
    UpstreamStreamError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

_MAX_MESSAGE = 1000
# The codes upstreams give a prompt their own safety system refused (OpenAI, Azure chat, Azure images).
_CONTENT_FILTER_CODES = frozenset({"content_filter", "content_policy_violation", "contentFilter"})


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove credentials from text bound for the client (upstreams echo keys in 401s)."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text[:_MAX_MESSAGE]


def upstream_error_fields(body: bytes | str) -> tuple[str, str | None, str | None]:
    """Extract (message, param, code) from OpenAI, Azure, Ollama or FastAPI style error bodies."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        return text.strip(), None, None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, str):
            return err, None, None
        if isinstance(err, dict):
            message = err.get("message") or err.get("detail") or ""
            param, code = err.get("param"), err.get("code")
            return (
                message if isinstance(message, str) else json.dumps(message),
                param if isinstance(param, str) else None,
                str(code) if code is not None else None,
            )
    return text.strip(), None, None


def error_from_status(
    status: int, body: bytes, *, retry_after: float | None, secrets: Iterable[str]
) -> GatewayError:
    """Map a non-2xx upstream response to the error the client will see."""
    message, param, code = upstream_error_fields(body)
    message = scrub(message, secrets)
    if status == 400 and code in _CONTENT_FILTER_CODES:
        return UpstreamContentFilterError(
            _content_filter_results(body),
            message=f"The upstream's safety system refused the prompt: {message or 'no reason given'}",
        )
    if status in (400, 422):
        return UpstreamInvalidRequestError(
            message or "The upstream rejected the request.", param=param, code=code
        )
    if status in (401, 403):
        # Never forward: upstream auth messages often quote part of the key.
        return UpstreamAuthenticationError("The upstream rejected the gateway's credentials.")
    if status == 404:
        return UpstreamError(
            "The upstream does not know the model or deployment this gateway is configured to use.",
            code="upstream_model_not_found",
        )
    if status == 408:
        return UpstreamTimeoutError("The upstream timed out.")
    if status == 413:
        return PayloadTooLargeError(message or "The request is too large for the upstream.")
    if status == 429:
        if code == "insufficient_quota":
            return UpstreamRateLimitError("The upstream quota of this gateway is exhausted.", code=code)
        return UpstreamRateLimitError(
            "The upstream is rate limiting requests; retry later.", retry_after=retry_after
        )
    if status == 503:
        headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after is not None else None
        return UpstreamUnavailableError("The upstream is temporarily unavailable.", headers=headers)
    if status == 504:
        return UpstreamTimeoutError("The upstream timed out.")
    return UpstreamError(f"The upstream failed (HTTP {status}).")


def _content_filter_results(body: bytes) -> dict[str, Any]:
    """The per-category results of an upstream refusal, wherever the upstream put them ({} if nowhere)."""
    try:
        error = json.loads(body).get("error")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return {}
    if not isinstance(error, dict):
        return {}
    inner = error.get("innererror") or error.get("inner_error") or {}
    if not isinstance(inner, dict):
        return {}
    results = inner.get("content_filter_result") or inner.get("content_filter_results") or {}
    return results if isinstance(results, dict) else {}


def is_retryable_error(error: GatewayError) -> bool:
    """Whether a status-derived error is worth retrying (quota exhaustion is not)."""
    return error.code != "insufficient_quota"


class PoolTimeout(Exception):
    """Every pooled connection to the upstream stayed busy for the whole pool timeout."""


def error_from_exception(
    exc: aiohttp.ClientError | TimeoutError | PoolTimeout, *, mid_stream: bool
) -> tuple[GatewayError, bool]:
    """Map a transport failure to (error, retryable-if-nothing-forwarded)."""
    if isinstance(exc, PoolTimeout):
        return UpstreamUnavailableError(
            "The gateway has too many requests in flight to this upstream."
        ), False
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return UpstreamConnectionError("Timed out connecting to the upstream."), True
    if isinstance(exc, TimeoutError):  # aiohttp's read timeouts are TimeoutErrors too
        what = "stopped sending data mid-stream" if mid_stream else "did not respond in time"
        return UpstreamTimeoutError(f"The upstream {what}."), False
    if mid_stream:
        return UpstreamStreamError("The upstream connection broke mid-stream."), False
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamConnectionError("Could not connect to the upstream."), True
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return UpstreamConnectionError("The upstream connection failed."), True
    return UpstreamError("The upstream request failed."), False
