"""Background jobs on huey: SQLite in process by default, Redis or PostgreSQL workers when scaled out.

Jobs are plain functions taking the runtime first, registered with `@job`. The huey instance is built from
settings at start-up (`Jobs(runtime)`), never at import, so one code base serves the in-process consumer of
`tutela serve` and the separate `tutela worker` processes of a scaled-out deployment.

A worker killed mid-job takes its dequeued message with it. Jobs that must survive that keep a lease in their
own row, and register a `@recovery` function: every process that runs jobs calls each one every
`jobs.reap_seconds` (`Reaper`), to retry or fail the jobs whose lease ran out.

Every run is timed into `tutela_job_duration_seconds{job,outcome}` and traced as a `job` span; a job that
raises, or that handles its own failure and says so with `report_failure(kind)`, counts in
`tutela_job_failures_total{job,kind}`. The queue's depth is read at scrape time (`tutela_jobs_queued`).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Result
from huey.consumer import Consumer
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from tutela.config import Settings
    from tutela.runtime import Runtime

log = logging.getLogger("tutela.jobs")

JobFunction = Callable[..., Any]
_REGISTRY: dict[str, JobFunction] = {}
RecoveryFunction = Callable[["Runtime"], int]
_RECOVERIES: dict[str, RecoveryFunction] = {}
# The failure kind a running job reported about itself (see `report_failure`).
_FAILURE: contextvars.ContextVar[str | None] = contextvars.ContextVar("tutela_job_failure", default=None)


def job(fn: JobFunction) -> JobFunction:
    """Register a job function `fn(runtime, **kwargs)` under its module-qualified name."""
    _REGISTRY[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def recovery(fn: RecoveryFunction) -> RecoveryFunction:
    """Register `fn(runtime) -> jobs recovered`, called periodically by every process that runs jobs."""
    _RECOVERIES[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


def report_failure(kind: str) -> None:
    """Say that the running job failed, for a job that handles its own errors rather than raising.

    `kind` is a short error code (``content_filter``, ``internal_error``), never a message: it is a label.
    """
    _FAILURE.set(kind)


def job_name(fn: JobFunction) -> str:
    """The registered name of a job function."""
    return f"{fn.__module__}.{fn.__qualname__}"


def make_huey(settings: Settings) -> Huey:
    """The queue named by the settings."""
    jobs = settings.jobs
    url = settings.resolve(jobs.url)
    if jobs.backend == "sqlite":
        Path(url).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name=jobs.queue_name, filename=url)
    if jobs.backend == "redis":
        return RedisHuey(name=jobs.queue_name, url=url)
    if jobs.backend == "postgres":
        from huey.contrib.sql_huey import SqlHuey

        # peewee names the psycopg 3 driver "psycopg3"; accept ordinary PostgreSQL URLs too.
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                url = "psycopg3://" + url[len(prefix) :]
        return SqlHuey(name=jobs.queue_name, database=url)
    return MemoryHuey(name=jobs.queue_name, immediate=True)


class Jobs:
    """The queue bound to a runtime: enqueue by function, run consumers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.huey = make_huey(runtime.settings)
        self._tasks: dict[str, Any] = {}
        from tutela.tasks import load_all

        load_all()  # register every job before binding, so any worker can run any job
        for name, fn in _REGISTRY.items():
            self._tasks[name] = self.huey.task(name=name)(self._bind(fn))
        runtime.metrics.register(QueueMetrics(self.huey))

    def _bind(self, fn: JobFunction) -> JobFunction:
        runtime = self.runtime
        name = job_name(fn).removeprefix("tutela.")

        def run(**kwargs: Any) -> Any:
            metrics = runtime.metrics
            started = time.perf_counter()
            with runtime.tracing.span("job", **{"tutela.job": name}) as span:
                context = contextvars.copy_context()  # a fresh failure slot, inside the job's span
                try:
                    result = context.run(fn, runtime, **kwargs)
                except Exception as exc:
                    kind = type(exc).__name__
                    span.fail(kind)
                    metrics.job_failures.labels(name, kind).inc()
                    metrics.job_seconds.labels(name, "failed").observe(time.perf_counter() - started)
                    raise
                reported = context.run(_FAILURE.get)
                if reported is not None:
                    span.fail(reported)
                    metrics.job_failures.labels(name, reported).inc()
                metrics.job_seconds.labels(name, "ok" if reported is None else "failed").observe(
                    time.perf_counter() - started
                )
                return result

        run.__name__ = fn.__name__
        return run

    def names(self) -> list[str]:
        """Registered job names."""
        return sorted(self._tasks)

    def enqueue(self, fn: JobFunction, **kwargs: Any) -> Result:
        """Put a registered job on the queue; returns a handle whose `.get()` waits for the result."""
        name = job_name(fn)
        if name not in self._tasks:
            self._tasks[name] = self.huey.task(name=name)(self._bind(fn))
        result: Result = self._tasks[name](**kwargs)
        return result

    def consumer(self, workers: int | None = None, *, embedded: bool = True) -> Consumer:
        """A consumer with thread workers, not started; embedded ones leave signals to the host process."""
        count = workers or self.runtime.settings.jobs.workers
        kind = EmbeddedConsumer if embedded else Consumer
        consumer: Consumer = kind(
            self.huey,
            workers=count,
            worker_type="thread",
            periodic=True,
            initial_delay=0.05,
            max_delay=1.0,
            check_worker_health=True,
        )
        return consumer


class QueueMetrics(Collector):
    """The queue's depth, read at scrape time (left out when the queue's store cannot be reached)."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Jobs waiting on the queue, and scheduled for later."""
        try:
            pending, scheduled = self.huey.pending_count(), self.huey.scheduled_count()
        except Exception:  # a Redis or database outage must not break the scrape
            log.warning("job queue depth unavailable", exc_info=True)
            return
        yield GaugeMetricFamily("tutela_jobs_queued", "Background jobs waiting to run.", value=pending)
        yield GaugeMetricFamily(
            "tutela_jobs_scheduled", "Background jobs scheduled to run later (retries).", value=scheduled
        )


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer living inside another server's process.

    huey's consumer installs SIGINT/SIGTERM handlers when started, which would swallow uvicorn's shutdown
    signal (and fails outside the main thread); the host process owns signals and stops us from its lifespan.
    """

    def _set_signal_handlers(self) -> None:
        return None


class Reaper:
    """Calls every registered recovery every `jobs.reap_seconds`, in a daemon thread."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tutela-job-reaper", daemon=True)

    def start(self) -> Reaper:
        """Begin (the first pass runs at once: a restarted process recovers what its predecessor left)."""
        from tutela.tasks import load_all

        load_all()
        self._thread.start()
        return self

    def run_once(self) -> int:
        """One pass over every recovery; the number of jobs recovered."""
        recovered = 0
        for name, fn in list(_RECOVERIES.items()):
            try:
                recovered += fn(self.runtime)
            except Exception:  # one failing recovery (a region down) must not stop the others
                log.exception("job recovery %s failed", name)
        return recovered

    def _loop(self) -> None:
        while True:
            self.run_once()
            if self._stop.wait(self.runtime.settings.jobs.reap_seconds):
                return

    def stop(self) -> None:
        """Stop after the current pass."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)


class InProcessJobs:
    """The consumer and reaper `tutela serve` runs beside the web app."""

    def __init__(self, consumer: Consumer, reaper: Reaper) -> None:
        self.consumer = consumer
        self.reaper = reaper

    def stop(self) -> None:
        """Stop reaping, then let running jobs finish."""
        self.reaper.stop()
        self.consumer.stop(graceful=True)


def start_in_process(runtime: Runtime) -> InProcessJobs | None:
    """Start a consumer and a reaper inside this process when the settings ask for them (the default)."""
    settings = runtime.settings.jobs
    if not settings.run_in_process or settings.backend == "immediate":
        return None
    consumer = runtime.jobs.consumer()
    consumer.start()
    log.info("in-process job consumer started (%s, %d workers)", settings.backend, settings.workers)
    return InProcessJobs(consumer, Reaper(runtime).start())
