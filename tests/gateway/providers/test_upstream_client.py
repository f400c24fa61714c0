"""The upstream HTTP client on the wire: event-stream line ends, bounded bodies and lines, in-flight limit.

A raw asyncio server on loopback writes scripted bytes, so the client meets exactly what a real upstream
can send: lines split across TCP writes, CR-only line ends, endless lines, a body that never stops.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from tutela.gateway.providers import upstream as upstream_module
from tutela.gateway.providers.upstream import UpstreamClient, UpstreamRequest, UpstreamTimeout
from tutela.gateway.wire.exceptions import UpstreamResponseError, UpstreamUnavailableError

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def scripted(
    parts: list[bytes], *, pause: float = 0.01, hold: float = 0.0, heads: list[bytes] | None = None
) -> AsyncIterator[str]:
    """A server answering every request with `parts`, written one by one with a pause between them; the
    request heads it received go to `heads`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if heads is not None:
            heads.append(head)
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        await reader.readexactly(length)
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(pause)
        await asyncio.sleep(hold)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/v1/chat/completions"


def _call(url: str, **timeouts: float) -> UpstreamRequest:
    return UpstreamRequest(url=url, body={"model": "m"}, timeout=UpstreamTimeout(**timeouts))


def _chunked(*pieces: bytes) -> list[bytes]:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    return [head, *(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces), b"0\r\n\r\n"]


async def test_event_stream_lines_end_in_lf_crlf_or_cr_and_may_split_anywhere() -> None:
    one, two, three = (json.dumps({"n": n}).encode() for n in (1, 2, 3))
    pieces = [
        b"data: " + one[:3],
        one[3:] + b"\r",
        b"\n\r\n",
        b"data: " + two + b"\r\r",
        b"data: " + three + b"\n\n",
    ]
    async with scripted(_chunked(*pieces)) as url, UpstreamClient() as client:
        events = [json.loads(e.data) async for e in client.stream_events(_call(url))]
    assert events == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_a_whole_body_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upstream_module, "MAX_BODY_BYTES", 1000)
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    endless = [head] + [b"100\r\n" + b" " * 256 + b"\r\n"] * 20  # no length announced, and no end
    async with scripted(endless, pause=0, hold=5) as url, UpstreamClient() as client:
        with pytest.raises(UpstreamResponseError, match="too large"):
            await client.post_json(_call(url))


async def test_an_endless_event_stream_line_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upstream_module, "MAX_LINE_BYTES", 1000)
    pieces = [b"data: {}\n\n", *([b"x" * 300] * 10)]
    async with scripted(_chunked(*pieces)) as url, UpstreamClient() as client:
        events = client.stream_events(_call(url))
        assert (await anext(events)).data == "{}"  # what came before the endless line was relayed
        with pytest.raises(UpstreamResponseError, match="too long"):
            await anext(events)


async def test_calls_over_the_in_flight_limit_wait_then_get_503() -> None:
    slow = _chunked(b"data: {}\n\n")
    async with scripted(slow, pause=0.5) as url, UpstreamClient(max_connections=1) as client:
        first = client.stream_events(_call(url))
        assert (await anext(first)).data == "{}"  # holds the only slot until closed
        with pytest.raises(UpstreamUnavailableError, match="too many requests in flight"):
            await client.post_json(_call(url, pool=0.2))
        await first.aclose()
        # The slot is free again: the next call waits for no one (it fails on the body, not the pool).
        with pytest.raises(UpstreamResponseError):
            await client.post_json(_call(url, pool=0.2))


async def test_a_cookie_an_upstream_sets_is_never_sent_back() -> None:
    """One session serves every organization's calls: a cookie set for one caller must not reach another's."""
    answer = b"HTTP/1.1 200 OK\r\nset-cookie: tenant=a; Path=/\r\ncontent-type: application/json\r\n"
    heads: list[bytes] = []
    async with (
        scripted([answer + b"content-length: 2\r\n\r\n{}"], heads=heads) as url,
        UpstreamClient() as client,
    ):
        by_name = url.replace("127.0.0.1", "localhost")  # cookie jars ignore cookies from bare IP addresses
        assert await client.post_json(_call(by_name)) == {}
        assert await client.post_json(_call(by_name)) == {}
    assert len(heads) == 2
    assert all(b"\r\ncookie:" not in head.lower() for head in heads), heads
