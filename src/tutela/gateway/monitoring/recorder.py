"""The recorder: takes each finished exchange off the request path and writes it in the background.

`record()` only copies a few values into a bounded in-memory queue (no I/O, no locks held for long); a daemon
thread drains the queue in batches and writes one transaction per organization. If the queue is full the
record is dropped and counted, never the response delayed. A crash between the response and the write loses
the queued records only: a batch is one transaction, so the store never holds half a record.

The same thread schedules the purge job (`jobs.purge_expired`) every `purge_every` seconds through the job
queue; `tutela monitoring purge` does the same by hand or from cron.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
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
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[Snapshot | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._next_purge = time.monotonic() + (purge_every or 0)

    def record(self, exchange: Exchange) -> None:
        """Queue a copy of what monitoring keeps of the exchange; never blocks, never raises."""
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
            self._queue.put_nowait(snapshot)
        except queue.Full:
            self.dropped += 1
            log.warning("monitoring queue full: record of %s dropped", exchange.request_id)
            return
        except Exception:
            log.exception("monitoring: could not queue %s", exchange.request_id)
            return
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
            try:
                first = self._queue.get(timeout=1.0)
            except queue.Empty:
                self._maybe_purge()
                continue
            # Linger briefly so records are written in batches: one transaction for many requests keeps the
            # writer's share of the CPU (and of the GIL the request path needs) small.
            batch = [first]
            linger_until = time.monotonic() + LINGER_SECONDS
            while len(batch) < BATCH and first is not None:
                remaining = linger_until - time.monotonic()
                try:
                    item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
                if item is None:
                    break
            stop = any(item is None for item in batch)
            try:
                self.written += service.write(
                    self.runtime, [s for s in batch if s is not None], keys=self.keys
                )
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return
            self._maybe_purge()

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
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and stop the thread."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
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
