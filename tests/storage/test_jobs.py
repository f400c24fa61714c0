"""Jobs run on the embedded SQLite queue, on Redis and on PostgreSQL, through real consumers."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.databases import postgres_databases, require_postgres
from tutela.config import JobSettings, Settings
from tutela.runtime import Runtime
from tutela.storage.jobs import job

SEEN: list[tuple[str, int]] = []
_lock = threading.Lock()


@job
def record_number(runtime: Runtime, *, tag: str, number: int) -> int:
    """A job that proves it ran, with the runtime it was bound to."""
    assert isinstance(runtime, Runtime)
    with _lock:
        SEEN.append((tag, number))
    return number * 2


@job
def explode(runtime: Runtime, *, message: str) -> None:
    """A job that fails."""
    raise ValueError(message)


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=2).ping())
    except redis.ConnectionError:
        return False


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def job_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    name = f"t{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path, jobs=JobSettings(backend="sqlite", queue_name=name))
    elif request.param == "redis":
        if not _redis_available():
            if os.environ.get("CI"):
                pytest.fail("Redis on 127.0.0.1:6379 is required in CI")
            pytest.skip("Redis is not running")
        yield Settings(
            data_dir=tmp_path,
            jobs=JobSettings(backend="redis", url="redis://127.0.0.1:6379/0", queue_name=name),
        )
        redis.Redis.from_url("redis://127.0.0.1:6379/0").delete(
            *[f"huey.redis.{name}", f"huey.schedule.{name}", f"huey.results.{name}"]
        )
    else:
        require_postgres()
        with postgres_databases(["jobs"]) as urls:
            yield Settings(
                data_dir=tmp_path, jobs=JobSettings(backend="postgres", url=urls["jobs"], queue_name=name)
            )


def test_jobs_run_on_a_real_consumer_and_return_results(job_settings: Settings) -> None:
    runtime = Runtime(job_settings)
    consumer = runtime.jobs.consumer(workers=2)
    consumer.start()
    try:
        tag = uuid.uuid4().hex
        handles = [runtime.jobs.enqueue(record_number, tag=tag, number=n) for n in range(5)]
        results = sorted(h.get(blocking=True, timeout=20) for h in handles)
        assert results == [0, 2, 4, 6, 8]
        assert sorted(n for t, n in SEEN if t == tag) == [0, 1, 2, 3, 4]
    finally:
        consumer.stop(graceful=True)
        runtime.close()


def test_a_failing_job_reports_its_error_and_the_queue_keeps_working(job_settings: Settings) -> None:
    from huey.exceptions import TaskException

    runtime = Runtime(job_settings)
    consumer = runtime.jobs.consumer(workers=1)
    consumer.start()
    try:
        failing = runtime.jobs.enqueue(explode, message="boom")
        with pytest.raises(TaskException, match="boom"):
            failing.get(blocking=True, timeout=20)
        assert (
            runtime.jobs.enqueue(record_number, tag="after", number=21).get(blocking=True, timeout=20) == 42
        )
    finally:
        consumer.stop(graceful=True)
        runtime.close()


def test_every_job_module_is_known_to_every_queue(tmp_path: Path) -> None:
    import ast

    from tutela.tasks import JOB_MODULES

    src = Path(__file__).resolve().parents[2] / "src"
    registering = set()
    for path in src.rglob("*.py"):
        tree = ast.parse(path.read_text())
        decorated = any(
            isinstance(d, ast.Name) and d.id == "job"
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            for d in node.decorator_list
        )
        if decorated:
            registering.add(".".join(path.relative_to(src).with_suffix("").parts))
    assert registering <= set(JOB_MODULES), (
        f"add {registering - set(JOB_MODULES)} to tutela.tasks.JOB_MODULES"
    )
    runtime = Runtime(Settings(data_dir=tmp_path, jobs=JobSettings(backend="immediate")))
    try:
        names = set(runtime.jobs.names())
        assert any(name.startswith("tutela.authoring.modules.jobs.") for name in names)
    finally:
        runtime.close()
