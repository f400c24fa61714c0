"""Pure ASGI middleware: request ids, time spent, body size limits per route, content-free access logs, and
the one answer to an unexpected error (500 with the request id, logged with its status).

Pure ASGI rather than BaseHTTPMiddleware so streaming responses pass through untouched and the per-request
cost stays in microseconds. Logs carry the request id, method, route, status, sizes and time — never a body.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tutela.metrics import Metrics
from tutela.tracing import NULL_SPAN, Span, Tracing

log = logging.getLogger("tutela.access")

REQUEST_ID_HEADER = b"x-request-id"
ELAPSED_HEADER = b"x-tutela-processing-ms"
# Every response, JSON and streams included, not only the HTML pages (which set their own stricter CSP).
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class BodyTooLarge(Exception):
    """Raised inside the app when the body passes the limit."""


@dataclass(frozen=True)
class BodyLimits:
    """How many body bytes a route may send: uploads the most, the gateway its own limit, the rest little.

    A sign-in or any other JSON or form route is refused past `other` bytes (declared, or counted while the
    body streams in), so nobody makes the server read 100 MB to be told their password is wrong.
    """

    upload: int
    upload_paths: frozenset[str]
    gateway: int
    gateway_prefixes: tuple[str, ...]
    other: int

    def for_path(self, path: str) -> int:
        """The limit of the route at `path`."""
        if path in self.upload_paths:
            return self.upload
        if path.startswith(self.gateway_prefixes):
            return self.gateway
        return self.other


class RequestContextMiddleware:
    """Adds `x-request-id`, the gateway time header and the security headers to every response (HSTS too
    when `secure` says the site is served over HTTPS), and enforces the body limits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: BodyLimits,
        metrics: Metrics,
        tracing: Tracing | None = None,
        secure: bool = False,
    ) -> None:
        self.app = app
        self.limits = limits
        self.metrics = metrics
        self.tracing = tracing or Tracing()
        self.security = (*SECURITY_HEADERS, HSTS) if secure else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.tracing.enabled:
            await self._handle(scope, receive, send, NULL_SPAN)
            return
        with self.tracing.span("http.request", **{"http.request.method": scope.get("method")}) as span:
            await self._handle(scope, receive, send, span)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, span: Span) -> None:
        started = time.perf_counter()
        request_id = f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        state: dict[str, Any] = {"status": 0, "received": 0, "sent": 0}
        limit = self.limits.for_path(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, request_id, limit)
            self._done(scope, request_id, 413, declared, 0, started, span)
            return

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    raise BodyTooLarge(f"request body is over the limit of {limit} bytes")
            return message

        async def stamping_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                headers.append((ELAPSED_HEADER, f"{elapsed:.2f}".encode()))
                _secure(headers, self.security)
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                state["sent"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, stamping_send)
        except Exception:
            if state["status"]:
                raise  # the response had started: nothing can be sent any more
            # Here rather than in an app exception handler: those run outside this middleware, so the
            # answer would go out without the request id and be logged without its status.
            log.exception("%s unhandled error", request_id)
            await _internal_error(stamping_send, request_id)
        finally:
            self._done(scope, request_id, state["status"], state["received"], state["sent"], started, span)

    def _done(
        self,
        scope: Scope,
        request_id: str,
        status: int,
        received: int,
        sent: int,
        started: float,
        span: Span,
    ) -> None:
        """Log the answer (no content), count it in the metrics and finish its span."""
        seconds = time.perf_counter() - started
        route = getattr(scope.get("route"), "path", None) or "unmatched"  # the template, never ids
        log.info(
            "%s %s %s status=%d in=%dB out=%dB ms=%.2f",
            request_id,
            scope.get("method"),
            route,
            status,
            received,
            sent,
            seconds * 1000,
        )
        self.metrics.observe_http(str(scope.get("method")), route, status, seconds)
        span.set("http.route", route)
        span.set("http.response.status_code", status)
        span.set("tutela.request_id", request_id)
        if status >= 500 or status == 0:
            span.fail(str(status))


def _secure(headers: list[tuple[bytes, bytes]], security: tuple[tuple[bytes, bytes], ...]) -> None:
    """Add the security headers (no route sets them itself); JSON without a CSP gets one allowing nothing."""
    has_csp = is_json = False
    for name, value in headers:  # Starlette writes header names in lower case
        if name == b"content-type":
            is_json = value.startswith(b"application/json")
        elif name == b"content-security-policy":
            has_csp = True
    headers.extend(security)
    if is_json and not has_csp:
        headers.append(API_CSP)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, request_id: str, limit: int) -> None:
    body = (
        b'{"error":{"message":"request body is over the limit of %d bytes","type":"invalid_request_error",'
        b'"param":null,"code":"payload_too_large"}}' % limit
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (REQUEST_ID_HEADER, request_id.encode()),
                (ELAPSED_HEADER, b"0.00"),
                *SECURITY_HEADERS,
                API_CSP,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _internal_error(send: Send, request_id: str) -> None:
    body = (
        b'{"error":{"message":"internal error; quote request id %s to your operator","type":"server_error",'
        b'"param":null,"code":"internal_error"}}' % request_id.encode()
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
