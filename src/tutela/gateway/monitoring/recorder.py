"""The recorder: takes each finished exchange off the request path and writes it in the background.

`record()` only copies a few values into a bounded in-memory queue (no I/O, no lock, no thread woken); a
daemon thread drains the queue in batches and writes one transaction per organization. If the queue is full
the record is dropped and counted, never the response delayed. A crash between the response and the write
loses the queued records only: a batch is one transaction, so the store never holds half a record.

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
from typing import TYPE_CHECKING

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


class MonitoringRecorder:
    """The `Recorder` of the gateway pipeline (see tutela.gateway.exchange)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        capacity: int = QUEUE_CAPACITY,
        purge_every: float | None = PURGE_EVERY_SECONDS,
    ) -> None:
        self.runtime = runtime
        self.keys = DayKeys()
        self.purge_every = purge_every
        self.capacity = capacity
        self.dropped = 0
        self.written = 0
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
                return
            self._maybe_purge()

    def _write_batch(self) -> bool:
        """Write up to BATCH pending records in one go; False when there was nothing to write."""
        with self._state:
            if not self._pending:
                self._state.notify_all()
                return False
            self._busy = True
        batch = [self._pending.popleft() for _ in range(min(BATCH, len(self._pending)))]
        try:
            self.written += service.write(self.runtime, batch, keys=self.keys)
        except Exception:
            self.dropped += len(batch)
            log.exception("monitoring: a batch of %d records could not be written", len(batch))
        finally:
            with self._state:
                self._busy = False
                self._state.notify_all()
        return True

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
        """Wait until everything queued so far is written; True when done in time."""
        deadline = time.monotonic() + timeout
        if self._pending:
            self._ensure_thread()
        with self._state:
            while self._pending or self._busy:
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
            atexit.register(_close_quietly, weakref.ref(found))  # a process that never closes its runtime
        return found


def _close_quietly(ref: weakref.ReferenceType[MonitoringRecorder]) -> None:
    found = ref()
    if found is not None:
        found.flush(timeout=5.0)
