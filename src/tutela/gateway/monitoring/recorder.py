"""The recorder: takes each finished exchange off the request path and writes it in the background.

`record()` only copies a few values into a bounded in-memory queue (no I/O, no lock, no thread woken); a
daemon thread drains the queue in batches and writes one transaction per organization. If the queue is full
the record is dropped and counted, never the response delayed. A crash between the response and the write
loses the queued records only: a batch is one transaction, so the store never holds half a record.

A record that could not be written (the database down or refusing it; `service.write` isolates it from the
others of its batch) is tried again after RETRY_DELAYS; once they are spent it is lost. Every loss — queue
full or retries spent — is counted in `stats()` (served to operators at `GET /api/platform/monitoring/
recorder`) and logged as an error naming the request ids, so an operator is alerted, never left guessing.

The same thread schedules the purge job (`jobs.purge_expired`) every `purge_every` seconds through the job
queue; `tutela monitoring purge` does the same by hand or from cron.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tutela.gateway.monitoring import service
from tutela.gateway.monitoring.service import DayKeys, Snapshot

if TYPE_CHECKING:
    from tutela.gateway.exchange import Exchange
    from tutela.runtime import Runtime

log = logging.getLogger("tutela.monitoring")

QUEUE_CAPACITY = 10_000
BATCH = 500
LINGER_SECONDS = 0.25
PURGE_EVERY_SECONDS = 600.0
RETRY_DELAYS = (1.0, 5.0, 30.0, 120.0)  # seconds before each new attempt at records that failed


@dataclass(frozen=True)
class RecorderStats:
    """What this process's recorder did since it started."""

    written: int
    dropped: int  # the queue was full
    retried: int  # attempts again at records that had failed
    lost: int  # failed on every attempt
    queued: int
    retrying: int


class MonitoringRecorder:
    """The `Recorder` of the gateway pipeline (see tutela.gateway.exchange)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        capacity: int = QUEUE_CAPACITY,
        purge_every: float | None = PURGE_EVERY_SECONDS,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.runtime = runtime
        self.keys = DayKeys()
        self.purge_every = purge_every
        self.capacity = capacity
        self.retry_delays = retry_delays
        self.dropped = 0
        self.written = 0
        self.retried = 0
        self.lost = 0
        # Failed records: (when to try again, attempts made, snapshot); only the writer thread changes it.
        self._retrying: list[tuple[float, int, Snapshot]] = []
        # A plain deque, not a queue.Queue: appending wakes no thread, so a request never hands the GIL to
        # the writer; the writer wakes on its own every LINGER_SECONDS (or at once for flush and close).
        self._pending: deque[Snapshot] = deque()
        self._wake = threading.Event()
        self._state = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._next_purge = time.monotonic() + (purge_every or 0)

    def record(self, exchange: Exchange) -> None:
        """Queue a copy of what monitoring keeps of the exchange; never blocks, never raises."""
        if len(self._pending) >= self.capacity:
            self.dropped += 1
            log.warning("monitoring queue full: record of %s dropped", exchange.request_id)
            return
        try:
            caller = exchange.caller
            logging_on = caller.content_logging
            snapshot = Snapshot(
                request_id=exchange.request_id,
                org_id=caller.org_id,
                resource_id=caller.resource_id,
                key_id=caller.key_id,
                content_logging=logging_on,
                deployment=exchange.deployment,
                operation=exchange.operation,
                streamed=exchange.streamed,
                at=self.runtime.clock.now(),
                verdicts=dict(exchange.verdicts),
                # Opted-out resources: the texts never leave the request, only their sizes do.
                prompt_texts=tuple(exchange.prompt_texts) if logging_on else (),
                completion_texts=tuple(exchange.completion_texts) if logging_on else (),
                prompt_chars=sum(len(t) for t in exchange.prompt_texts),
                completion_chars=sum(len(t) for t in exchange.completion_texts),
                usage=dict(exchange.usage),
            )
        except Exception:
            log.exception("monitoring: could not queue %s", exchange.request_id)
            return
        self._pending.append(snapshot)
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tutela-monitoring", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            # Lingering batches the writes: one transaction for many requests keeps the writer's share of
            # the CPU (and of the GIL the request path needs) small.
            self._wake.wait(LINGER_SECONDS)
            self._wake.clear()
            while self._write_batch():
                pass
            if self._stopping:
                self._last_attempt()
                return
            self._maybe_purge()

    def _write_batch(self) -> bool:
        """Write up to BATCH pending records (and those due for another try); False when nothing was due."""
        with self._state:
            now = time.monotonic()
            due = [entry for entry in self._retrying if entry[0] <= now]
            if not self._pending and not due:
                self._state.notify_all()
                return False
            self._busy = True
        self._retrying = [entry for entry in self._retrying if entry[0] > now]
        self.retried += len(due)
        batch = [snap for _, _, snap in due]
        batch += [self._pending.popleft() for _ in range(min(BATCH, len(self._pending)))]
        try:
            failed = self._attempt(batch)
            made = {id(snap): attempts for _, attempts, snap in due}
            for snap in failed:
                attempts = made.get(id(snap), 0) + 1
                if attempts > len(self.retry_delays):
                    self._lose([snap])
                else:
                    delay = self.retry_delays[attempts - 1]
                    self._retrying.append((time.monotonic() + delay, attempts, snap))
        finally:
            with self._state:
                self._busy = False
                self._state.notify_all()
        return True

    def _attempt(self, batch: list[Snapshot]) -> list[Snapshot]:
        """Write a batch; the snapshots that could not be written."""
        try:
            result = service.write(self.runtime, batch, keys=self.keys)
        except Exception:
            log.exception("monitoring: a batch of %d records could not be written", len(batch))
            return batch
        self.written += result.written
        return result.failed

    def _last_attempt(self) -> None:
        """On close: try the records waiting for a retry once more, now; what still fails is lost."""
        if not self._retrying:
            return
        batch = [snap for _, _, snap in self._retrying]
        self._retrying = []
        self.retried += len(batch)
        self._lose(self._attempt(batch))

    def _lose(self, snapshots: list[Snapshot]) -> None:
        if not snapshots:
            return
        self.lost += len(snapshots)
        log.error(
            "monitoring: %d records LOST after every attempt (%d lost since start): %s",
            len(snapshots),
            self.lost,
            ", ".join(snap.request_id for snap in snapshots),
        )

    def stats(self) -> RecorderStats:
        """Counters for operators: written, dropped, retried and lost records, and what is waiting."""
        return RecorderStats(
            written=self.written,
            dropped=self.dropped,
            retried=self.retried,
            lost=self.lost,
            queued=len(self._pending),
            retrying=len(self._retrying),
        )

    def _maybe_purge(self) -> None:
        if self.purge_every is None or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_every
        try:
            from tutela.gateway.monitoring.jobs import purge_expired

            self.runtime.jobs.enqueue(purge_expired)
        except Exception:
            log.exception("monitoring: could not schedule the purge")

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far is written (or lost after its retries); True if in time."""
        deadline = time.monotonic() + timeout
        if self._pending or self._retrying:
            self._ensure_thread()
        with self._state:
            while self._pending or self._busy or self._retrying:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wake.set()
                self._state.wait(min(remaining, 0.1))
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and stop the thread."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._stopping = True
        self._wake.set()
        thread.join(timeout)


_RECORDERS: weakref.WeakKeyDictionary[Runtime, MonitoringRecorder] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def recorder_for(runtime: Runtime) -> MonitoringRecorder:
    """The one recorder of a runtime (shared by every Gateway built on it, so tests and the CLI can flush)."""
    with _LOCK:
        found = _RECORDERS.get(runtime)
        if found is None:
            found = _RECORDERS[runtime] = MonitoringRecorder(runtime)
            runtime.on_close(found.close)  # write what is queued while the databases are still there
            runtime.metrics.register(RecorderMetrics(found))
            atexit.register(_close_quietly, weakref.ref(found))  # a process that never closes its runtime
        return found


def _close_quietly(ref: weakref.ReferenceType[MonitoringRecorder]) -> None:
    found = ref()
    if found is not None:
        found.flush(timeout=5.0)


class RecorderMetrics(Collector):
    """The recorder's counters as Prometheus metrics, read at scrape time."""

    def __init__(self, recorder: MonitoringRecorder) -> None:
        self.recorder = recorder

    def collect(self) -> Iterator[Metric]:
        """Queue depth, and records written, dropped (queue full) and lost (every attempt failed)."""
        stats = self.recorder.stats()
        yield GaugeMetricFamily(
            "tutela_monitoring_records_queued",
            "Monitoring records waiting to be written (retries included).",
            value=stats.queued + stats.retrying,
        )
        for name, value, text in (
            ("written", stats.written, "Monitoring records written."),
            ("dropped", stats.dropped, "Monitoring records dropped because the queue was full."),
            ("lost", stats.lost, "Monitoring records lost after every attempt."),
        ):
            yield CounterMetricFamily(f"tutela_monitoring_records_{name}", text, value=value)
