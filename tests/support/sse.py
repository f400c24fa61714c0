"""Reading what the gateway's SSE encoder wrote: one write may carry several events."""

from __future__ import annotations


def sse_events(writes: list[bytes]) -> list[bytes]:
    """The SSE events of a stream's writes, each with its blank-line terminator."""
    body = b"".join(writes)
    assert body.endswith(b"\n\n"), "a write ended inside an event"
    return [event + b"\n\n" for event in body[:-2].split(b"\n\n")]
