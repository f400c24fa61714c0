"""One gateway request as the pipeline's steps see it, and the seams that safety and monitoring fill.

The pipeline calls, in this order and for every operation:

    limits.admit(exchange)                    may raise a 429; adds x-ratelimit-* response headers
    screen.prompt(exchange, request)          may raise a 400 content_filter error, may annotate
    screen.documents(exchange, texts)         retrieved chunks (grounding/): which are refused, and why
    provider                                   the model answers
    screen.completion(exchange, response)     may filter choices, annotate (non-streaming)
    screen.stream(exchange, chunks)           the same, window by window (streaming)
                                               (external safety services: safety/external, inside screen)
    limits.settle(exchange)                   counts the answer's tokens against the token limits
    recorder.record(exchange)                 abuse monitoring; must not block the response

`NullLimits`, `NullScreen` and `NullRecorder` are the behaviour with no limits, safety or monitoring
configured: nothing is counted, checked or kept. Content lives on the exchange only for the duration of
the request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from tutela.gateway.access import Caller

T = TypeVar("T")


@dataclass
class Exchange:
    """What later steps know of a request: who, which deployment, what happened (in memory only)."""

    caller: Caller
    deployment: str
    operation: str  # "chat" | "completion" | "embedding" | "transcription"
    request_id: str = field(default_factory=lambda: f"req_{uuid.uuid4().hex}")
    started: float = field(default_factory=time.perf_counter)
    streamed: bool = False
    # Verdicts and annotations the screen produced (no content), for the response and for monitoring.
    verdicts: dict[str, Any] = field(default_factory=dict)
    # Texts the screen or the recorder needs; dropped with the exchange at the end of the request.
    prompt_texts: list[str] = field(default_factory=list)
    completion_texts: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    model: str = ""  # the upstream model of the target that answered (usage aggregates)
    # Headers for the client (rate limits); the HTTP route passes its own dict to be filled.
    response_headers: dict[str, str] = field(default_factory=dict)
    # Token counters admission found for this caller, counted when the answer's usage is known.
    token_counters: list[tuple[str, int]] = field(default_factory=list)


class Limits(Protocol):
    """Rate limits and token budgets (implemented in `tutela.gateway.limits`)."""

    async def admit(self, exchange: Exchange) -> None: ...

    async def settle(self, exchange: Exchange) -> None: ...

    async def close(self) -> None: ...


class Screen(Protocol):
    """Content safety on the request path (implemented in `tutela.gateway.safety`)."""

    async def prompt(self, exchange: Exchange, request: Any) -> None: ...

    async def documents(self, exchange: Exchange, texts: list[str]) -> list[dict[str, Any] | None]: ...

    async def completion(self, exchange: Exchange, response: T) -> T: ...

    def stream(self, exchange: Exchange, chunks: AsyncIterator[T]) -> AsyncIterator[T]: ...

    async def close(self) -> None: ...


class Recorder(Protocol):
    """Abuse monitoring after the response (implemented in `tutela.gateway.monitoring`)."""

    def record(self, exchange: Exchange) -> None: ...


class NullLimits:
    """No limits."""

    async def admit(self, exchange: Exchange) -> None:
        """Admit every request."""

    async def settle(self, exchange: Exchange) -> None:
        """Count nothing."""

    async def close(self) -> None:
        """Nothing to release."""


class NullScreen:
    """No filtering."""

    async def prompt(self, exchange: Exchange, request: Any) -> None:
        """Accept every prompt."""

    async def documents(self, exchange: Exchange, texts: list[str]) -> list[dict[str, Any] | None]:
        """Refuse no document."""
        return [None] * len(texts)

    async def completion(self, exchange: Exchange, response: T) -> T:
        """Pass the response through."""
        return response

    def stream(self, exchange: Exchange, chunks: AsyncIterator[T]) -> AsyncIterator[T]:
        """Pass the stream through."""
        return chunks

    async def close(self) -> None:
        """Nothing to release."""


class NullRecorder:
    """Keeps nothing."""

    def record(self, exchange: Exchange) -> None:
        """Drop the exchange."""
