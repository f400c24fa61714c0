"""The pooled HTTP client that talks to upstreams, with retries that never replay a started stream.

aiohttp rather than httpx: on this hot path it costs about a fifth of the CPU per request (measured in
benchmarks/bench_gateway.py's notes), which is most of the gateway's own overhead.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aiohttp

from tutela.gateway.providers.retry import RETRYABLE_STATUS, RetryPolicy, parse_retry_after
from tutela.gateway.providers.upstream_errors import (
    PoolTimeout,
    error_from_exception,
    error_from_status,
    is_retryable_error,
    scrub,
    upstream_error_fields,
)
from tutela.gateway.wire.exceptions import GatewayError, UpstreamResponseError, UpstreamStreamError
from tutela.gateway.wire.sse import ServerSentEvent, iter_sse

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024 * 1024  # a whole (non-streamed) upstream answer
MAX_LINE_BYTES = 8 * 1024 * 1024  # one line of an upstream event stream


@dataclass(frozen=True, slots=True)
class UpstreamTimeout:
    """Seconds to wait: for a free slot in the pool, to connect, and between two reads."""

    connect: float = 5.0
    read: float = 60.0
    pool: float = 10.0


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file sent as one part of a multipart form (the audio of a transcription)."""

    name: str
    data: bytes = field(repr=False)
    filename: str
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """One call to an upstream (a POST unless `method` says otherwise): where, what, and how patiently.

    With `files`, the body's fields and the files go as `multipart/form-data` (lists as repeated fields);
    without, the body is JSON. A GET or DELETE sends no body.
    """

    url: str
    body: dict[str, Any]
    files: tuple[FilePart, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    timeout: UpstreamTimeout = field(default_factory=UpstreamTimeout)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Strings scrubbed from any upstream text forwarded to clients (the API key).
    secrets: tuple[str, ...] = ()
    method: str = "POST"

    def __repr__(self) -> str:
        # Headers carry the key; keep it out of logs and tracebacks.
        return f"UpstreamRequest(url={self.url!r})"


class _Retry(Exception):
    """Internal signal: this attempt failed before anything was forwarded; wait and go again."""

    def __init__(self, error: GatewayError, retry_after: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


class LazyUpstream:
    """An UpstreamClient opened on first use, and opened afresh after `close` (a new pool each time).

    Opening has no suspension point (UpstreamClient.start awaits nothing), so two callers at once cannot
    both open one: no lock is needed.
    """

    def __init__(self, *, max_connections: int) -> None:
        self._max_connections = max_connections
        self._http: UpstreamClient | None = None

    async def get(self) -> UpstreamClient:
        """The open client."""
        if self._http is None:
            http = UpstreamClient(max_connections=self._max_connections)
            await http.start()
            self._http = http
        return self._http

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()


class UpstreamClient:
    """Owns one pooled ``aiohttp.ClientSession`` shared by every upstream call of its providers.

    At most `max_connections` calls are in flight at once; a call that waits longer than its pool timeout
    for a slot fails with 503 rather than queueing without bound.
    """

    def __init__(
        self,
        *,
        max_connections: int = 200,
        keepalive_expiry: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._slots = asyncio.Semaphore(max_connections)
        self._sleep = sleep
        self._rng = rng
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the connection pool (idempotent)."""
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=self._keepalive_expiry
            )
            # trust_env=False: proxies from the environment would silently reroute traffic to upstreams.
            # No cookie jar: the session is shared by every organization's calls, so a cookie an upstream
            # sets for one caller must never ride along with another's.
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
                raise_for_status=False,
            )

    async def close(self) -> None:
        """Close every pooled connection (idempotent)."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

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
    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("UpstreamClient.start() has not been called")
        return self._session

    async def _wait(self, request: UpstreamRequest, attempt: int, retry: _Retry) -> None:
        delay = request.retry.delay(attempt, retry.retry_after, self._rng)
        if delay is None:
            raise retry.error
        log.warning(
            "upstream %s failed (%s); retry %d in %.2fs", request.url, retry.error.message, attempt + 1, delay
        )
        await self._sleep(delay)

    def _check_status(self, request: UpstreamRequest, response: aiohttp.ClientResponse, body: bytes) -> None:
        if response.status < 400:
            return
        retry_after = parse_retry_after(response.headers)
        error = error_from_status(response.status, body, retry_after=retry_after, secrets=request.secrets)
        if response.status in RETRYABLE_STATUS and is_retryable_error(error):
            raise _Retry(error, retry_after)
        raise error

    async def _slot(self, request: UpstreamRequest) -> None:
        try:
            await asyncio.wait_for(self._slots.acquire(), request.timeout.pool)
        except TimeoutError:
            raise PoolTimeout() from None

    def _post(self, request: UpstreamRequest) -> Any:
        timeout = request.timeout
        data: bytes | aiohttp.FormData | None
        if request.method in ("GET", "DELETE"):
            data, headers = None, dict(request.headers)
        elif request.files:
            # Built per attempt: aiohttp consumes a FormData when it sends it.
            data, headers = _form(request), dict(request.headers)
        else:
            data = json.dumps(request.body).encode()
            headers = {"content-type": "application/json", **request.headers}
        return self._http.request(
            request.method,
            request.url,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=timeout.connect, connect=timeout.connect, sock_read=timeout.read
            ),
        )

    async def post_json(self, request: UpstreamRequest) -> Any:
        """Send the request and return the decoded JSON body, retrying transient failures."""
        attempt = 0
        while True:
            try:
                return await self._post_once(request)
            except _Retry as retry:
                await self._wait(request, attempt, retry)
                attempt += 1

    async def _post_once(self, request: UpstreamRequest) -> Any:
        try:
            await self._slot(request)
            try:
                async with self._post(request) as response:
                    body = await _read_body(response)
            finally:
                self._slots.release()
        except (aiohttp.ClientError, TimeoutError, PoolTimeout) as exc:
            error, retryable = error_from_exception(exc, mid_stream=False)
            if retryable:
                raise _Retry(error, None) from exc
            raise error from exc
        self._check_status(request, response, body)
        try:
            return json.loads(body)
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
            await self._slot(request)
            try:
                async with self._post(request) as response:
                    if response.status >= 400:
                        self._check_status(request, response, await _read_body(response))
                    content_type = response.headers.get("content-type", "")
                    if not content_type.startswith("text/event-stream"):
                        raise self._not_a_stream(request, await _read_body(response))
                    async for event in iter_sse(_lines(response.content.iter_any())):
                        forwarded = True
                        yield event
            finally:
                self._slots.release()
        except (aiohttp.ClientError, TimeoutError, PoolTimeout) as exc:
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


def _form(request: UpstreamRequest) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request.body.items():
        for item in value if isinstance(value, list) else [value]:
            form.add_field(name, str(item))
    for part in request.files:
        form.add_field(part.name, part.data, filename=part.filename, content_type=part.content_type)
    return form


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """The whole body, refused past MAX_BODY_BYTES (a hostile upstream cannot exhaust memory)."""
    if (response.content_length or 0) > MAX_BODY_BYTES:
        raise UpstreamResponseError("The upstream response is too large.")
    parts, size = [], 0
    async for part in response.content.iter_any():
        size += len(part)
        if size > MAX_BODY_BYTES:
            raise UpstreamResponseError("The upstream response is too large.")
        parts.append(part)
    return b"".join(parts)


async def _lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """Decode UTF-8 and split on CRLF, LF or CR (the event-stream line ends), one line at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending = ""
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        if len(pending) > MAX_LINE_BYTES:
            raise UpstreamResponseError("The upstream sent an event-stream line that is too long.")
        if "\r" in pending:
            # A CR at the very end may be the first half of a CRLF: keep it until more arrives.
            keep_cr = pending.endswith("\r")
            body = pending[:-1] if keep_cr else pending
            body = body.replace("\r\n", "\n").replace("\r", "\n")
            pending = body + ("\r" if keep_cr else "")
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line
    pending += decoder.decode(b"", final=True)
    for line in pending.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line:
            yield line
