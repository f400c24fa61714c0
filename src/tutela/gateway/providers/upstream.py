"""The pooled HTTP client that talks to upstreams, with retries that never replay a started stream."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

from tutela.gateway.providers.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after
from tutela.gateway.providers.upstream_errors import (
    error_from_exception,
    error_from_status,
    is_retryable_error,
    scrub,
    upstream_error_fields,
)
from tutela.gateway.wire.exceptions import GatewayError, UpstreamResponseError, UpstreamStreamError
from tutela.gateway.wire.sse import ServerSentEvent, iter_sse

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """One POST to an upstream: where, what, and how patiently."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(60.0, connect=5.0))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Strings scrubbed from any upstream text forwarded to clients (the API key).
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Headers carry the key; keep it out of logs and tracebacks.
        return f"UpstreamRequest(url={self.url!r})"


class _Retry(Exception):
    """Internal signal: this attempt failed before anything was forwarded; wait and go again."""

    def __init__(self, error: GatewayError, retry_after: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


class UpstreamClient:
    """Owns one pooled ``httpx.AsyncClient`` shared by every upstream call of its providers."""

    def __init__(
        self,
        *,
        max_connections: int = 200,
        max_keepalive_connections: int = 50,
        keepalive_expiry: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
        )
        self._transport = transport
        self._sleep = sleep
        self._rng = rng
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Open the connection pool (idempotent)."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                limits=self._limits,
                transport=self._transport,
                follow_redirects=False,
                # Proxies from the environment would silently reroute traffic to upstreams.
                trust_env=False,
            )

    async def close(self) -> None:
        """Close every pooled connection (idempotent)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("UpstreamClient.start() has not been called")
        return self._client

    async def _wait(self, request: UpstreamRequest, attempt: int, retry: _Retry) -> None:
        delay = request.retry.delay(attempt, retry.retry_after, self._rng)
        if delay is None:
            raise retry.error
        log.warning(
            "upstream %s failed (%s); retry %d in %.2fs", request.url, retry.error.message, attempt + 1, delay
        )
        await self._sleep(delay)

    def _check_status(self, request: UpstreamRequest, response: httpx.Response, body: bytes) -> None:
        if response.status_code < 400:
            return
        retry_after = parse_retry_after(response.headers)
        error = error_from_status(
            response.status_code, body, retry_after=retry_after, secrets=request.secrets
        )
        if response.status_code in RETRYABLE_STATUS and is_retryable_error(error):
            raise _Retry(error, retry_after)
        raise error

    async def post_json(self, request: UpstreamRequest) -> Any:
        """POST and return the decoded JSON body, retrying transient failures."""
        attempt = 0
        while True:
            try:
                return await self._post_once(request)
            except _Retry as retry:
                await self._wait(request, attempt, retry)
                attempt += 1

    async def _post_once(self, request: UpstreamRequest) -> Any:
        try:
            response = await self._http.post(
                request.url, json=request.body, headers=request.headers, timeout=request.timeout
            )
        except httpx.HTTPError as exc:
            error, retryable = error_from_exception(exc, mid_stream=False)
            if retryable:
                raise _Retry(error, None) from exc
            raise error from exc
        self._check_status(request, response, response.content)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UpstreamResponseError("The upstream returned malformed JSON.") from exc

    async def stream_events(self, request: UpstreamRequest) -> AsyncGenerator[ServerSentEvent, None]:
        """POST and yield the response's server-sent events as they arrive.

        Failures are retried only until the first event has been yielded; after
        that any failure raises ``UpstreamStreamError``/``UpstreamTimeoutError``.
        Close the iterator (``aclosing``) to release the connection early.
        """
        attempt = 0
        while True:
            try:
                # _stream_once raises _Retry only before its first event, so no replay can happen.
                async with aclosing(self._stream_once(request)) as events:
                    async for event in events:
                        yield event
                return
            except _Retry as retry:
                await self._wait(request, attempt, retry)
                attempt += 1

    async def _stream_once(self, request: UpstreamRequest) -> AsyncGenerator[ServerSentEvent, None]:
        forwarded = False
        try:
            async with self._http.stream(
                "POST", request.url, json=request.body, headers=request.headers, timeout=request.timeout
            ) as response:
                if response.status_code >= 400:
                    self._check_status(request, response, await response.aread())
                content_type = response.headers.get("content-type", "")
                if not content_type.startswith("text/event-stream"):
                    raise self._not_a_stream(request, await response.aread())
                async for event in iter_sse(response.aiter_lines()):
                    forwarded = True
                    yield event
        except httpx.HTTPError as exc:
            error, retryable = error_from_exception(exc, mid_stream=forwarded)
            if retryable and not forwarded:
                raise _Retry(error, None) from exc
            raise error from exc

    @staticmethod
    def _not_a_stream(request: UpstreamRequest, body: bytes) -> GatewayError:
        # Some upstreams answer a streaming request with a JSON error and status 200.
        message, _, _ = upstream_error_fields(body)
        if b'"error"' in body and message:
            return UpstreamStreamError(f"The upstream failed: {scrub(message, request.secrets)}")
        return UpstreamResponseError("The upstream answered a streaming request without an event stream.")
