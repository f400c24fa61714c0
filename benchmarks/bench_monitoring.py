"""Abuse monitoring costs: added gateway latency, and purging one million expired records.

    .venv/bin/python benchmarks/bench_monitoring.py [--requests 300] [--records 1000000] [--no-postgres]

1. p50/p90 latency of `POST /v1/chat/completions` (built-in extractive deployment, live server on loopback)
   with the monitoring recorder on vs off (`NullRecorder`), interleaved in rounds in the same run.
2. Time to purge N expired records (one organization, one expired day: delete the rows + destroy the day key
   + WAL checkpoint) on SQLite and on PostgreSQL (127.0.0.1:5432), after a bulk insert (executemany / COPY).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.databases import postgres_reachable, settings_for
from tests.support.platform import FAST_AUTH, open_runtime
from tests.support.server import serve
from tutela.app import create_app
from tutela.core.organizations import service as organizations
from tutela.gateway.exchange import NullRecorder
from tutela.gateway.monitoring import service
from tutela.gateway.monitoring.recorder import recorder_for
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime


def _org(runtime: Runtime) -> tuple[str, str, str]:
    org = organizations.create(
        runtime, name=f"Bench {uuid.uuid4().hex[:8]}", region="local", actor="bench"
    ).id
    with runtime.region_session(org) as db:
        resource = resources.find_resource(db, org_id=org, name="default")
        assert resource is not None
        _, key = resources.create_key(db, org_id=org, resource_id=resource.id)
        return org, resource.id, key


def latency(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        extra = {"auth": FAST_AUTH, "jobs": {"backend": "immediate"}}
        with settings_for("sqlite", Path(tmp), **extra) as settings, open_runtime(settings) as runtime:
            _, _, key = _org(runtime)
            app = create_app(runtime=runtime)
            gateway = app.state.gateway
            on, off = recorder_for(runtime), NullRecorder()
            body = {
                "model": "extractive",
                "messages": [
                    {"role": "user", "content": "Fire exits are marked in green. Where are the exits? " * 8}
                ],
            }
            times: dict[str, list[float]] = {"on": [], "off": []}
            with (
                serve(app) as base,
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as c,
            ):
                for _ in range(20):
                    c.post("/v1/chat/completions", json=body).raise_for_status()
                rounds = 10
                for _ in range(rounds):
                    for mode in ("off", "on"):
                        gateway.recorder = on if mode == "on" else off
                        for _ in range(requests // rounds):
                            start = time.perf_counter()
                            c.post("/v1/chat/completions", json=body).raise_for_status()
                            times[mode].append(time.perf_counter() - start)
                on.flush(60)
            p50 = {m: statistics.median(t) * 1000 for m, t in times.items()}
            p90 = {m: statistics.quantiles(t, n=10)[-1] * 1000 for m, t in times.items()}
            print(
                f"gateway chat, {requests} requests per mode,"
                f" {on.written} records written, {on.dropped} dropped"
            )
            print(
                f"  p50 off {p50['off']:.2f} ms  on {p50['on']:.2f} ms"
                f"  added {p50['on'] - p50['off']:+.2f} ms"
                f"  ratio {p50['on'] / p50['off']:.3f}"
            )
            print(f"  p90 off {p90['off']:.2f} ms  on {p90['on']:.2f} ms  ratio {p90['on'] / p90['off']:.3f}")


def _bulk_insert(runtime: Runtime, org: str, resource: str, n: int, day: str, key_id: str) -> float:
    at = runtime.clock.now() - timedelta(days=40)
    sealed = b"TTL1" + os.urandom(12 + 200)
    columns = (
        "id",
        "org_id",
        "request_id",
        "resource_id",
        "region",
        "at",
        "day",
        "deployment",
        "operation",
        "key_id",
        "streamed",
        "verdicts",
        "filtered",
        "severity",
        "jailbreak",
        "prompt_chars",
        "completion_chars",
        "usage",
        "content_key_id",
        "sealed_content",
        "flagged",
    )

    def row(i: int) -> tuple[object, ...]:
        return (
            str(uuid.uuid4()),
            org,
            f"req_{i:032x}",
            resource,
            "local",
            at,
            day,
            "extractive",
            "chat",
            "",
            False,
            "{}",
            False,
            "safe",
            False,
            100,
            100,
            "{}",
            key_id,
            sealed,
            False,
        )

    engine = runtime.region("local").db.engine
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO monitoring_records ({', '.join(columns)}) VALUES ({marks})"
            for chunk in range(0, n, 50_000):
                cursor.executemany(sql, [row(i) for i in range(chunk, min(n, chunk + 50_000))])
        else:
            with cursor.copy(f"COPY monitoring_records ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for i in range(n):
                    copy.write_row(row(i))
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def purge_time(backend: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        extra = {"auth": FAST_AUTH, "jobs": {"backend": "immediate"}}
        with settings_for(backend, Path(tmp), **extra) as settings, open_runtime(settings) as runtime:
            org, resource, _ = _org(runtime)
            day = (runtime.clock.now() - timedelta(days=40)).date().isoformat()
            region = runtime.region("local")
            with region.keys_db.session() as kdb:
                key_id = runtime.keys.create(kdb, org_id=org, scope=service.day_scope(org, day)).id
            inserted = _bulk_insert(runtime, org, resource, n, day, key_id)
            started = time.perf_counter()
            result = service.purge(runtime)
            took = time.perf_counter() - started
            again = time.perf_counter()
            second = service.purge(runtime)
            idle = time.perf_counter() - again
            assert (result.records, result.keys, second.records) == (n, 1, 0)
            print(
                f"purge {backend}: {n:,} expired records + 1 day key in {took:.2f} s"
                f" ({n / took:,.0f} records/s; bulk insert took {inserted:.2f} s, ratio purge/insert"
                f" {took / inserted:.2f}); idempotent rerun {idle * 1000:.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    latency(args.requests)
    purge_time("sqlite", args.records)
    if not args.no_postgres and postgres_reachable():
        purge_time("postgres", args.records)
    else:
        print("purge postgres: skipped (no PostgreSQL on 127.0.0.1:5432)")


if __name__ == "__main__":
    main()
