"""Counters of failed authentications, shared by every process that uses the same jobs backend.

A counter is `(failures, time of the last failure)` under a key such as an account or a client address;
what the numbers mean (free failures, growing delays) is decided above, in `tutela.core.auth.throttle`.
Counts older than `forget_after` seconds start again from zero. Times are seconds since the epoch taken from
the runtime's clock, so tests move a clock instead of waiting.

    FailureStore               the interface
    ├── MemoryFailureStore     one process (the `immediate` jobs backend, used by tests)
    ├── SqlFailureStore        a table `tutela_auth_failures`: a SQLite file beside the job queue (every
    │                          process on one machine) or the PostgreSQL jobs database (scaled out)
    └── RedisFailureStore      hashes `tutela:auth-failures:<queue>:<key>` on the Redis jobs server

Only failures write here: a successful request never touches the store.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, case, delete, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from tutela.storage.db import open_engine

if TYPE_CHECKING:
    from tutela.config import Settings

KEY_LENGTH = 100


class FailureStore(Protocol):
    """Atomic failure counters by key."""

    def add_failure(self, key: str, *, now: float, forget_after: float) -> int:
        """Count one more failure; returns the failures counted now."""

    def read(self, key: str, *, now: float, forget_after: float) -> tuple[int, float]:
        """(failures, time of the last failure); (0, 0.0) when none or forgotten."""

    def clear(self, key: str) -> None:
        """Forget a key's failures (a successful sign-in, an admin's unlock)."""

    def close(self) -> None:
        """Release connections."""


class MemoryFailureStore:
    """Counters in this process only."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def add_failure(self, key: str, *, now: float, forget_after: float) -> int:
        """Count one more failure."""
        with self._lock:
            count, _ = self.read(key, now=now, forget_after=forget_after)
            self._counts[key] = (count + 1, now)
            if len(self._counts) > 100_000:  # forget the oldest half rather than grow without bound
                for old in sorted(self._counts, key=lambda k: self._counts[k][1])[:50_000]:
                    del self._counts[old]
            return count + 1

    def read(self, key: str, *, now: float, forget_after: float) -> tuple[int, float]:
        """The key's counter."""
        count, last = self._counts.get(key, (0, 0.0))
        return (0, 0.0) if now - last > forget_after else (count, last)

    def clear(self, key: str) -> None:
        """Forget the key."""
        with self._lock:
            self._counts.pop(key, None)

    def close(self) -> None:
        """Nothing to release."""


_metadata = MetaData()
_failures = Table(
    "tutela_auth_failures",
    _metadata,
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", Float, nullable=False),
)


class SqlFailureStore:
    """Counters in a SQL table, incremented by one atomic upsert."""

    def __init__(self, url: str) -> None:
        self.engine = open_engine(url)
        try:
            _metadata.create_all(self.engine, checkfirst=True)
        except DBAPIError:  # another process starting at the same moment created it first
            if not inspect(self.engine).has_table(_failures.name):
                raise
        self._insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        self._added = 0

    def add_failure(self, key: str, *, now: float, forget_after: float) -> int:
        """Count one more failure (starting again from one when the last is older than forget_after)."""
        stale = _failures.c.last_failure < now - forget_after
        insert = self._insert(_failures).values(key=key, failures=1, last_failure=now)
        stmt = insert.on_conflict_do_update(
            index_elements=[_failures.c.key],
            set_={
                "failures": case((stale, 1), else_=_failures.c.failures + 1),
                "last_failure": now,
            },
        ).returning(_failures.c.failures)
        with self.engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            self._added += 1
            if self._added % 256 == 0:  # now and then, drop what is forgotten anyway
                conn.execute(delete(_failures).where(_failures.c.last_failure < now - forget_after))
        return int(count)

    def read(self, key: str, *, now: float, forget_after: float) -> tuple[int, float]:
        """The key's counter."""
        stmt = select(_failures.c.failures, _failures.c.last_failure).where(_failures.c.key == key)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None or now - row.last_failure > forget_after:
            return 0, 0.0
        return int(row.failures), float(row.last_failure)

    def clear(self, key: str) -> None:
        """Forget the key."""
        with self.engine.begin() as conn:
            conn.execute(delete(_failures).where(_failures.c.key == key))

    def close(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


# One round trip: reset a forgotten counter, count, stamp, and let Redis drop the hash when it is stale.
_ADD_FAILURE = """
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
if tonumber(ARGV[1]) - last > tonumber(ARGV[2]) then count = 0 end
count = count + 1
redis.call('HSET', KEYS[1], 'count', count, 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return count
"""


class RedisFailureStore:
    """Counters in Redis hashes, incremented by one Lua script."""

    def __init__(self, url: str, *, prefix: str, expire_seconds: int) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self.expire_seconds = expire_seconds
        self._add = self.client.register_script(_ADD_FAILURE)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def add_failure(self, key: str, *, now: float, forget_after: float) -> int:
        """Count one more failure."""
        count = self._add(keys=[self._key(key)], args=[repr(now), repr(forget_after), self.expire_seconds])
        return int(count)

    def read(self, key: str, *, now: float, forget_after: float) -> tuple[int, float]:
        """The key's counter."""
        values = self.client.hmget(self._key(key), ["count", "last"])
        if values[0] is None or values[1] is None:
            return 0, 0.0
        count, last = int(values[0]), float(values[1])
        return (0, 0.0) if now - last > forget_after else (count, last)

    def clear(self, key: str) -> None:
        """Forget the key."""
        self.client.delete(self._key(key))

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def open_failure_store(settings: Settings) -> FailureStore:
    """The store beside the configured job queue: shared by every process that shares the queue."""
    jobs = settings.jobs
    url = settings.resolve(jobs.url)
    throttle = settings.auth.throttle
    if jobs.backend == "redis":
        expire = int(throttle.forget_after_seconds + throttle.max_delay_seconds) + 60
        return RedisFailureStore(
            url, prefix=f"tutela:auth-failures:{jobs.queue_name}:", expire_seconds=expire
        )
    if jobs.backend == "postgres":
        return SqlFailureStore(url.replace("postgres://", "postgresql://", 1))
    if jobs.backend == "sqlite":
        path = Path(url).with_name("auth-failures.db")
        return SqlFailureStore(f"sqlite:///{path}")
    return MemoryFailureStore()
