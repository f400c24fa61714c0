"""Server-sent events: encoding the gateway's stream, decoding an upstream's."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Coroutine, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from tutela.gateway.wire.common import ResponseModel
from tutela.gateway.wire.exceptions import GatewayError, InternalServerError

log = logging.getLogger(__name__)
T = TypeVar("T")

DONE = b"data: [DONE]\n\n"
MEDIA_TYPE = "text/event-stream"
# A write is sent early once it holds this much, so a producer that never waits still streams.
MAX_WRITE_BYTES = 64 * 1024


def encode_event(payload: ResponseModel | Mapping[str, Any]) -> bytes:
    """Encode one ``data: {...}\\n\\n`` event."""
    text = payload.to_json() if isinstance(payload, ResponseModel) else json.dumps(payload)
    return b"data: " + text.encode() + b"\n\n"


def encode_error(exc: GatewayError) -> bytes:
    """Encode an OpenAI-shaped error event (the OpenAI SDK raises ``APIError`` on it)."""
    return encode_event(exc.to_body())


async def sse_stream(chunks: AsyncIterable[ResponseModel]) -> AsyncIterator[bytes]:
    """Encode ``chunks`` as SSE, ending with ``[DONE]`` or, if the stream fails, one error event.

    Each yielded ``bytes`` is one write to the client. Chunks the pipeline hands over together (a screened
    window released at once, the usage chunk and ``[DONE]``) share one write; a write goes out as soon as
    the next chunk would have to be waited for, so no event is ever held back to fill a write. After an
    error nothing more is sent, so a client never waits on a dead stream.
    """
    iterator = aiter(chunks)
    write: list[bytes] = []
    size = 0
    try:
        while True:
            try:
                ready, step = _start_next(iterator)
                if not ready:
                    resumed = cast(_Resumed[ResponseModel], step)
                    if write:
                        try:
                            yield b"".join(write)
                        except BaseException:
                            await resumed.abandon()  # the client left while the next chunk was on its way
                            raise
                        write, size = [], 0
                    step = await resumed
            except StopAsyncIteration:
                break
            event = encode_event(cast(ResponseModel, step))
            write.append(event)
            size += len(event)
            if size >= MAX_WRITE_BYTES:
                yield b"".join(write)
                write, size = [], 0
    except GatewayError as exc:
        yield b"".join([*write, encode_error(exc)])
        return
    except Exception:
        # Headers are already sent, so an error event is the only way left to tell the client.
        log.exception("stream failed after the response had started")
        error = InternalServerError("The server had an error while streaming the response.")
        yield b"".join([*write, encode_error(error)])
        return
    yield b"".join([*write, DONE])


def _start_next(iterator: AsyncIterator[T]) -> tuple[bool, T | _Resumed[T]]:
    """Begin ``anext(iterator)``: ``(True, item)`` when the item was there without waiting, else ``(False,
    awaitable)`` to finish it. Raises ``StopAsyncIteration`` at the end, or what the iterator raised."""
    step = cast(Coroutine[Any, Any, T], iterator.__anext__())
    try:
        waiting_on = step.send(None)
    except StopIteration as done:
        return True, cast(T, done.value)
    return False, _Resumed(step, waiting_on)


class _Resumed(Generic[T]):
    """The rest of a coroutine that has already run up to its first wait, as an awaitable.

    Awaiting it hands the event loop what the coroutine was waiting on, then relays values, exceptions
    (cancellation included) and closing both ways, exactly as ``await`` on the coroutine itself would have.
    """

    __slots__ = ("_step", "_waiting_on")

    def __init__(self, step: Coroutine[Any, Any, T], waiting_on: Any) -> None:
        self._step = step
        self._waiting_on = waiting_on

    async def abandon(self) -> None:
        """Cancel the coroutine where it waits and let it unwind (its ``finally`` blocks run), as cancelling
        the task awaiting it would have."""
        cancel = getattr(self._waiting_on, "cancel", None)
        if cancel is not None:
            cancel()
        try:
            await self
        except (asyncio.CancelledError, StopAsyncIteration):
            return
        except Exception:
            log.exception("a stream failed while closing after its client left")

    def __await__(self) -> Generator[Any, Any, T]:
        step, waiting_on = self._step, self._waiting_on
        while True:
            try:
                sent = yield waiting_on
            except GeneratorExit:
                step.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - relayed into the coroutine, as `await` does
                try:
                    waiting_on = step.throw(exc)
                except StopIteration as done:
                    return cast(T, done.value)
            else:
                try:
                    waiting_on = step.send(sent)
                except StopIteration as done:
                    return cast(T, done.value)


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
