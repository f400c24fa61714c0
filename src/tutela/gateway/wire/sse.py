"""Server-sent events: encoding the gateway's stream, decoding an upstream's."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from tutela.gateway.wire.common import ResponseModel
from tutela.gateway.wire.exceptions import GatewayError, InternalServerError

log = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"
MEDIA_TYPE = "text/event-stream"


def encode_event(payload: ResponseModel | Mapping[str, Any]) -> bytes:
    """Encode one ``data: {...}\\n\\n`` event."""
    text = payload.to_json() if isinstance(payload, ResponseModel) else json.dumps(payload)
    return b"data: " + text.encode() + b"\n\n"


def encode_error(exc: GatewayError) -> bytes:
    """Encode an OpenAI-shaped error event (the OpenAI SDK raises ``APIError`` on it)."""
    return encode_event(exc.to_body())


async def sse_stream(chunks: AsyncIterable[ResponseModel]) -> AsyncIterator[bytes]:
    """Encode ``chunks`` as SSE, ending with ``[DONE]`` or, if the stream fails, one error event.

    After an error nothing more is sent, so a client never waits on a dead stream.
    """
    try:
        async for chunk in chunks:
            yield encode_event(chunk)
    except GatewayError as exc:
        yield encode_error(exc)
        return
    except Exception:
        # Headers are already sent, so an error event is the only way left to tell the client.
        log.exception("stream failed after the response had started")
        yield encode_error(InternalServerError("The server had an error while streaming the response."))
        return
    yield DONE


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One decoded event."""

    data: str
    event: str | None = None
    id: str | None = None


class SSEDecoder:
    """Incremental SSE parser fed one line at a time (WHATWG event-stream rules)."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        """Consume one line (without its terminator); return an event when one completes."""
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # comment / keep-alive
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            self._id = value
        return None

    def flush(self) -> ServerSentEvent | None:
        """Return a final event left unterminated when the stream closed."""
        return self._dispatch()

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = None
            return None
        event = ServerSentEvent(data="\n".join(self._data), event=self._event, id=self._id)
        self._data, self._event = [], None
        return event


async def iter_sse(lines: AsyncIterable[str]) -> AsyncIterator[ServerSentEvent]:
    """Turn an async stream of lines into events."""
    decoder = SSEDecoder()
    async for line in lines:
        event = decoder.feed(line)
        if event is not None:
            yield event
    tail = decoder.flush()
    if tail is not None:
        yield tail
