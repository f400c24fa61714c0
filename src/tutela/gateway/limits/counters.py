"""Window counters of the rate limiter: in this process, or in Redis shared by every process.

    Counters              the interface: `admit` (check every counter, then count, all or nothing) and `add`
    ├── MemoryCounters    one process (every backend but Redis)
    └── RedisCounters     keys `tutela:ratelimit:<queue>:<counter>` on the Redis jobs server, one Lua script

A counter's name carries its window's start, so a new window starts from zero and an old one simply expires.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tutela.runtime import Runtime


@dataclass(frozen=True)
class Check:
    """One counter to check at admission: refused when it already holds `limit` (or more)."""

    key: str
    limit: int
    ttl: int  # seconds the counter must outlive its window's end
    add: int  # what admission counts (1 for a requests counter; tokens are counted after the answer)


class Counters(Protocol):
    """Atomic window counters."""

    async def admit(self, checks: Sequence[Check]) -> tuple[int, list[int]]:
        """(-1 when admitted, else the index of the first check that refuses; each counter's value after)."""
        ...

    async def add(self, keys: Sequence[tuple[str, int]], amount: int) -> None:
        """Count `amount` more on each (counter, ttl)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryCounters:
    """Counters in this process."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}  # counter → (value, monotonic expiry)
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def _value(self, key: str, now: float) -> int:
        value, expires = self._values.get(key, (0, 0.0))
        return value if expires > now else 0

    async def admit(self, checks: Sequence[Check]) -> tuple[int, list[int]]:
        """Check every counter, then count (under one lock, so two requests cannot both take the last)."""
        now = time.monotonic()
        with self._lock:
            values = [self._value(c.key, now) for c in checks]
            for index, (check, value) in enumerate(zip(checks, values, strict=True)):
                if value + 1 > check.limit:
                    return index, values
            for index, check in enumerate(checks):
                if check.add:
                    values[index] += check.add
                    self._values[check.key] = (values[index], now + check.ttl)
            self._sweep(now)
        return -1, values

    async def add(self, keys: Sequence[tuple[str, int]], amount: int) -> None:
        """Count tokens after the answer."""
        now = time.monotonic()
        with self._lock:
            for key, ttl in keys:
                self._values[key] = (self._value(key, now) + amount, now + ttl)

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:  # about once a minute, drop ended windows
            self._next_sweep = now + 60
            self._values = {k: v for k, v in self._values.items() if v[1] > now}

    async def close(self) -> None:
        """Nothing to release."""


# Read every counter; refuse at the first that is full; otherwise count and stamp each expiry.
_ADMIT = """
local values = {}
for i, key in ipairs(KEYS) do
  values[i] = tonumber(redis.call('GET', key) or '0')
end
for i, key in ipairs(KEYS) do
  if values[i] + 1 > tonumber(ARGV[(i - 1) * 3 + 1]) then
    table.insert(values, 1, i - 1)
    return values
  end
end
for i, key in ipairs(KEYS) do
  local add = tonumber(ARGV[(i - 1) * 3 + 2])
  if add > 0 then
    values[i] = redis.call('INCRBY', key, add)
    redis.call('EXPIRE', key, ARGV[(i - 1) * 3 + 3])
  end
end
table.insert(values, 1, -1)
return values
"""


class RedisCounters:
    """Counters in Redis, shared by every process on the same server and queue name."""

    def __init__(self, url: str, *, prefix: str) -> None:
        import redis.asyncio

        self.client: Any = redis.asyncio.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self._admit = self.client.register_script(_ADMIT)

    async def admit(self, checks: Sequence[Check]) -> tuple[int, list[int]]:
        """One round trip: check, then count."""
        args: list[int] = []
        for check in checks:
            args.extend((check.limit, check.add, check.ttl))
        result = await self._admit(keys=[self.prefix + c.key for c in checks], args=args)
        return int(result[0]), [int(v) for v in result[1:]]

    async def add(self, keys: Sequence[tuple[str, int]], amount: int) -> None:
        """One pipelined round trip."""
        async with self.client.pipeline(transaction=False) as pipe:
            for key, ttl in keys:
                pipe.incrby(self.prefix + key, amount)
                pipe.expire(self.prefix + key, ttl)
            await pipe.execute()

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()


_IN_PROCESS: weakref.WeakKeyDictionary[Runtime, MemoryCounters] = weakref.WeakKeyDictionary()
_IN_PROCESS_LOCK = threading.Lock()


def open_counters(runtime: Runtime) -> Counters:
    """Redis counters when the jobs backend is Redis (scaled out), otherwise the runtime's in this process
    (one for every Gateway on the runtime: the product's own jobs each build one)."""
    settings = runtime.settings
    jobs = settings.jobs
    if jobs.backend == "redis":
        return RedisCounters(settings.resolve(jobs.url), prefix=f"tutela:ratelimit:{jobs.queue_name}:")
    with _IN_PROCESS_LOCK:
        found = _IN_PROCESS.get(runtime)
        if found is None:
            found = _IN_PROCESS[runtime] = MemoryCounters()
        return found
