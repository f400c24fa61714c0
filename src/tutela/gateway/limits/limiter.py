"""The rate limiter on the gateway's request path (the `limits` seam of exchange.py).

Before the provider is called, `admit` checks every limit that applies to the caller (its API key, its AI
resource, its organization and, for the product's own calls, the signed-in user): requests per minute are
counted at once; tokens per minute, day and month are checked against what earlier answers used and counted
when the answer is known (`settle`; a stream without a usage chunk is estimated at 4 characters a token).
A full counter refuses with 429 and `retry-after` (`insufficient_quota` for a day or month budget); an
admitted request carries OpenAI's `x-ratelimit-*` headers of its tightest per-minute limits.

Windows are fixed and aligned to the clock in UTC: the minute, the day, the calendar month. With no limit
set for a caller the hot path costs one dictionary lookup; the limits a caller has are cached as briefly
as keys are (`gateway.access_cache_seconds`), so a changed limit applies everywhere within that time.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tutela.gateway.exchange import Exchange
from tutela.gateway.limits import service
from tutela.gateway.limits.counters import Check, Counters, open_counters
from tutela.gateway.wire.exceptions import RateLimitError
from tutela.runtime import Runtime

_DIMENSIONS = ("requests_per_minute", "tokens_per_minute", "tokens_per_day", "tokens_per_month")
_NAMES = {
    "requests_per_minute": "requests per minute",
    "tokens_per_minute": "tokens per minute",
    "tokens_per_day": "tokens per day",
    "tokens_per_month": "tokens per month",
}
_SCOPE_NAMES = {"key": "API key", "resource": "AI resource", "organization": "organization", "user": "user"}


@dataclass(frozen=True)
class Limit:
    """One limit of one subject."""

    scope: str
    subject_id: str
    dimension: str
    value: int


@dataclass
class _Cached:
    limits: tuple[Limit, ...]
    fetched: float


@dataclass
class Admission:
    """What admission counted, for the response headers and for `settle`."""

    headers: dict[str, str] = field(default_factory=dict)
    token_counters: list[tuple[str, int]] = field(default_factory=list)


def window(dimension: str, now: datetime) -> tuple[str, float]:
    """The name of the window `now` falls in, and the seconds until it ends."""
    if dimension.endswith("_minute"):
        start = now.replace(second=0, microsecond=0)
        return start.strftime("%Y%m%d%H%M"), 60 - now.second - now.microsecond / 1e6
    if dimension.endswith("_day"):
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.strftime("%Y%m%d"), 86400 - (now - start).total_seconds()
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return first.strftime("%Y%m"), (following - now).total_seconds()


def reset_text(seconds: float) -> str:
    """A reset duration as OpenAI writes it: "20ms", "1s", "6m0s", "2h3m0s"."""
    if seconds < 1:
        return f"{max(1, int(seconds * 1000))}ms"
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


class Limiter:
    """Checks and counts the limits of each caller (see the module docstring)."""

    def __init__(self, runtime: Runtime, counters: Counters | None = None) -> None:
        self.runtime = runtime
        self._counters = counters
        self._cache: dict[tuple[str, str, str, str], _Cached] = {}
        self._loading: dict[tuple[str, str, str, str], asyncio.Future[tuple[Limit, ...]]] = {}

    @property
    def counters(self) -> Counters:
        """The counter store, opened on first use (on the event loop that uses it)."""
        if self._counters is None:
            self._counters = open_counters(self.runtime)
        return self._counters

    async def close(self) -> None:
        """Release the counter store."""
        if self._counters is not None:
            await self._counters.close()

    async def limits_of(self, exchange: Exchange) -> tuple[Limit, ...]:
        """The caller's limits, cached briefly; concurrent requests of one caller share one load."""
        caller = exchange.caller
        key = (caller.org_id, caller.resource_id, caller.key_id, caller.user_id)
        cached = self._cache.get(key)
        ttl = self.runtime.settings.gateway.access_cache_seconds
        if cached is not None and time.monotonic() - cached.fetched <= ttl:
            return cached.limits
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(asyncio.to_thread(self._load, key))
            loading.add_done_callback(lambda _: self._loading.pop(key, None))
        limits = await asyncio.shield(loading)
        self._cache[key] = _Cached(limits, time.monotonic())
        return limits

    def _load(self, key: tuple[str, str, str, str]) -> tuple[Limit, ...]:
        org_id, resource_id, key_id, user_id = key
        with self.runtime.region_session(org_id) as db:
            rows = service.applicable(
                db, org_id=org_id, resource_id=resource_id, key_id=key_id, user_id=user_id
            )
            return tuple(
                Limit(row.scope, row.subject_id, dimension, value)
                for row in rows
                for dimension in _DIMENSIONS
                if (value := getattr(row, dimension)) is not None
            )

    async def admit(self, exchange: Exchange) -> None:
        """Count the request against every applicable limit, or refuse it with 429."""
        limits = await self.limits_of(exchange)
        if not limits:
            return
        now = self.runtime.clock.now().astimezone(UTC)
        checks, resets = [], []
        for limit in limits:
            name, left = window(limit.dimension, now)
            resets.append(left)
            checks.append(
                Check(
                    key=f"{limit.scope}:{limit.subject_id}:{limit.dimension}:{name}",
                    limit=limit.value,
                    ttl=math.ceil(left) + 5,
                    add=1 if limit.dimension == "requests_per_minute" else 0,
                )
            )
        refused, values = await self.counters.admit(checks)
        headers = _headers(limits, values, resets)
        if refused >= 0:
            raise _refusal(limits[refused], values[refused], resets[refused], headers)
        exchange.response_headers.update(headers)
        exchange.token_counters = [
            (check.key, check.ttl)
            for check, limit in zip(checks, limits, strict=True)
            if limit.dimension != "requests_per_minute"
        ]

    async def settle(self, exchange: Exchange) -> None:
        """Count the tokens the answer used against the caller's token limits."""
        if not exchange.token_counters:
            return
        tokens = exchange.usage.get("total_tokens") or _estimate(exchange)
        if tokens > 0:
            await self.counters.add(exchange.token_counters, tokens)
        exchange.token_counters = []


def _estimate(exchange: Exchange) -> int:
    """Tokens of a request whose answer said nothing of usage: about 4 characters a token."""
    chars = sum(map(len, exchange.prompt_texts)) + sum(map(len, exchange.completion_texts))
    return math.ceil(chars / 4)


def _tightest(
    limits: Sequence[Limit], values: Sequence[int], resets: Sequence[float], dimension: str
) -> tuple[int, int, float] | None:
    found = [
        (limit.value, max(0, limit.value - value), reset)
        for limit, value, reset in zip(limits, values, resets, strict=True)
        if limit.dimension == dimension
    ]
    return min(found, key=lambda f: (f[1], -f[2])) if found else None


def _headers(limits: Sequence[Limit], values: Sequence[int], resets: Sequence[float]) -> dict[str, str]:
    """OpenAI's x-ratelimit-* headers of the tightest requests and tokens per-minute limits."""
    headers: dict[str, str] = {}
    for dimension, kind in (("requests_per_minute", "requests"), ("tokens_per_minute", "tokens")):
        tightest = _tightest(limits, values, resets, dimension)
        if tightest is not None:
            value, remaining, reset = tightest
            headers[f"x-ratelimit-limit-{kind}"] = str(value)
            headers[f"x-ratelimit-remaining-{kind}"] = str(remaining)
            headers[f"x-ratelimit-reset-{kind}"] = reset_text(reset)
    return headers


def _refusal(limit: Limit, used: int, reset: float, headers: dict[str, str]) -> RateLimitError:
    what = _NAMES[limit.dimension]
    budget = limit.dimension in ("tokens_per_day", "tokens_per_month")
    error = RateLimitError(
        f"{'Budget' if budget else 'Rate limit'} reached for {what} on this {_SCOPE_NAMES[limit.scope]}: "
        f"limit {limit.value}, used {used}. Please try again in {reset_text(reset)}.",
        retry_after=max(1.0, math.ceil(reset)),
        code="insufficient_quota" if budget else "rate_limit_exceeded",
    )
    error.headers.update(headers)
    return error
