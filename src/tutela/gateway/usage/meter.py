"""`UsageMeter`: adds each exchange to in-memory totals; a daemon thread writes them every few seconds.

`count()` on the request path is one dictionary update under a lock (no I/O). Totals are written as one
transaction per organization, added to the day's rows (so several processes may write the same row).
What a crash loses is at most the last `FLUSH_SECONDS` of counts, never a row half written.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tutela.gateway.exchange import Exchange
from tutela.gateway.usage.models import DailyUsage
from tutela.runtime import Runtime
from tutela.storage.tenancy import scoped

log = logging.getLogger(__name__)
FLUSH_SECONDS = 5.0
_FIELDS = ("requests", "filtered_requests", "prompt_tokens", "completion_tokens", "latency_ms_total")


@dataclass(frozen=True)
class _Row:
    org_id: str
    day: str
    deployment: str
    model: str
    key_id: str
    user_id: str


class UsageMeter:
    """Totals per day × deployment × model × key × user, written in the background."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._totals: dict[_Row, list[int]] = defaultdict(lambda: [0] * len(_FIELDS))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tutela-usage", daemon=True)
        self._thread.start()

    def count(self, exchange: Exchange, *, model: str, filtered: bool) -> None:
        """Add one exchange (its ids, token counts and time; nothing of its content)."""
        caller = exchange.caller
        row = _Row(
            caller.org_id,
            self.runtime.clock.now().strftime("%Y-%m-%d"),
            exchange.deployment[:64],
            model[:200],
            caller.key_id,
            caller.user_id,
        )
        latency = int((time.perf_counter() - exchange.started) * 1000)
        usage = exchange.usage
        with self._lock:
            totals = self._totals[row]
            totals[0] += 1
            totals[1] += int(filtered)
            totals[2] += usage.get("prompt_tokens", 0)
            totals[3] += usage.get("completion_tokens", 0)
            totals[4] += latency

    def flush(self) -> None:
        """Write what was counted so far (also called by tests and on close)."""
        with self._lock:
            taken, self._totals = self._totals, defaultdict(lambda: [0] * len(_FIELDS))
        by_org: dict[str, list[tuple[_Row, list[int]]]] = defaultdict(list)
        for row, totals in taken.items():
            by_org[row.org_id].append((row, totals))
        for org_id, rows in by_org.items():
            try:
                with self.runtime.region_session(org_id) as db:
                    for row, totals in rows:
                        _add(db, row, totals)
            except Exception:  # a database outage, two processes adding the same new row: try again later
                log.exception("usage: could not write %d totals of one organization", len(rows))
                self._keep(rows)

    def _keep(self, rows: list[tuple[_Row, list[int]]]) -> None:
        with self._lock:
            for row, totals in rows:
                kept = self._totals[row]
                for index, value in enumerate(totals):
                    kept[index] += value

    def close(self) -> None:
        """Stop the thread and write the rest."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()


def _add(db: Session, row: _Row, totals: list[int]) -> None:
    found = db.scalars(
        scoped(DailyUsage, row.org_id).where(
            DailyUsage.day == row.day,
            DailyUsage.deployment == row.deployment,
            DailyUsage.model == row.model,
            DailyUsage.key_id == row.key_id,
            DailyUsage.user_id == row.user_id,
        )
    ).one_or_none()
    if found is None:
        found = DailyUsage(
            org_id=row.org_id, day=row.day, deployment=row.deployment, model=row.model,
            key_id=row.key_id, user_id=row.user_id, **dict.fromkeys(_FIELDS, 0),
        )  # fmt: skip
        db.add(found)
    for name, value in zip(_FIELDS, totals, strict=True):
        setattr(found, name, getattr(found, name) + value)
    db.flush()


_METERS: weakref.WeakKeyDictionary[Runtime, UsageMeter] = weakref.WeakKeyDictionary()
_METERS_LOCK = threading.Lock()


def meter_for(runtime: Runtime) -> UsageMeter:
    """The one meter of a runtime (shared by every Gateway on it), written out when the runtime closes."""
    with _METERS_LOCK:
        found = _METERS.get(runtime)
        if found is None:
            found = _METERS[runtime] = UsageMeter(runtime)
            runtime.on_close(found.close)
        return found
