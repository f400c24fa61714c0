"""The monitoring store on raw storage: region placement, sealing, retention and the purge.

Runtime level (no HTTP): records are written through the same `service.write` the recorder thread uses, and
every claim is checked on what is really in the databases (raw SQL) and, on SQLite, in the files.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.databases import settings_for
from tests.support.platform import FAST_AUTH, open_runtime
from tutela.clock import ManualClock
from tutela.core.organizations import service as organizations
from tutela.gateway.monitoring import service
from tutela.gateway.monitoring.exceptions import ContentUnavailable
from tutela.gateway.monitoring.models import MonitoringRecord
from tutela.gateway.monitoring.service import DayKeys, Snapshot
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime
from tutela.storage.crypto.exceptions import DataKeyDestroyed

REGIONS = (("eu-fr", "EEA"), ("us-east", "US"))


@dataclass
class World:
    runtime: Runtime
    data_dir: Path
    backend: str

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.runtime.clock, ManualClock)
        return self.runtime.clock

    def region_dir(self, region: str) -> Path:
        return self.data_dir / "regions" / region

    def new_org(self, region: str = "eu-fr") -> tuple[str, str]:
        org = organizations.create(
            self.runtime, name=f"Store {uuid.uuid4().hex[:10]}", region=region, actor="t"
        )
        with self.runtime.region_session(org.id) as db:
            found = resources.find_resource(db, org_id=org.id, name="default")
            assert found is not None
            return org.id, found.id

    def write(self, org_id: str, resource_id: str, prompt: str, *, n: int = 1) -> list[str]:
        snaps = [
            Snapshot(
                request_id=f"req_{uuid.uuid4().hex}",
                org_id=org_id,
                resource_id=resource_id,
                key_id="",
                content_logging=True,
                deployment="extractive",
                operation="chat",
                streamed=False,
                at=self.runtime.clock.now(),
                prompt_texts=(prompt,),
                completion_texts=(f"answer to {prompt}",),
                prompt_chars=len(prompt),
            )
            for _ in range(n)
        ]
        assert service.write(self.runtime, snaps, keys=DayKeys()).written == n
        return [s.request_id for s in snaps]

    def records(self, org_id: str) -> list[MonitoringRecord]:
        with self.runtime.region_session(org_id) as db:
            return list(db.query(MonitoringRecord).filter(MonitoringRecord.org_id == org_id))

    def raw(self, org_id: str, sql: str) -> list[tuple[object, ...]]:
        with self.runtime.region_of(org_id).db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), {"org": org_id})]

    def keys(self, org_id: str) -> list[tuple[object, ...]]:
        with self.runtime.region_of(org_id).keys_db.engine.connect() as conn:
            sql = "SELECT id, scope, wrapped FROM data_keys WHERE org_id = :org AND scope LIKE 'monitoring:%'"
            return [tuple(r) for r in conn.execute(text(sql), {"org": org_id})]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp(f"monitoring-store-{request.param}")
    extra = {"auth": FAST_AUTH, "jobs": {"backend": "immediate"}}
    with (
        settings_for(request.param, data_dir, regions=REGIONS, **extra) as settings,
        open_runtime(settings) as runtime,
    ):
        yield World(runtime, data_dir, request.param)


def _canary() -> str:
    return f"CANARY-{uuid.uuid4().hex}"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_records_live_in_the_org_region_sealed_under_its_day_key(world: World) -> None:
    org, resource = world.new_org("eu-fr")
    canary = _canary()
    (request_id,) = world.write(org, resource, canary)

    rows = world.raw(
        org,
        "SELECT request_id, resource_id, region, day, sealed_content FROM monitoring_records"
        " WHERE org_id = :org",
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [(request_id, resource, "eu-fr")]
    sealed = bytes(rows[0][4])  # type: ignore[arg-type]
    assert canary.encode() not in sealed and sealed.startswith(b"TTL1")
    day = world.clock.now().date().isoformat()
    assert [k[1] for k in world.keys(org)] == [f"monitoring:{org}:{day}"]
    # Nothing of it in the other region's stores.
    with world.runtime.region("us-east").db.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM monitoring_records WHERE org_id = :o"), {"o": org}
            ).scalar()
            == 0
        )
    if world.backend == "sqlite":
        for path, data in _files(world.data_dir).items():
            assert canary.encode() not in data, path
    # Reads are scoped by resource: the same request id under another resource is not found.
    with world.runtime.region_session(org) as db:
        record = service.get_record(db, org_id=org, resource_id=resource, request_id=request_id)
        with pytest.raises(Exception, match="no monitoring record"):
            service.get_record(db, org_id=org, resource_id=str(uuid.uuid4()), request_id=request_id)
    assert service.decrypt(world.runtime, record)["prompt"] == [canary]


def _sqlite_backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def test_purge_after_30_days_leaves_no_content_and_defeats_backups(world: World, tmp_path: Path) -> None:
    org, resource = world.new_org("eu-fr")
    now = world.clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    world.clock.advance(midnight - now + timedelta(minutes=1))  # records at 00:01 of day D
    old_canary = _canary()
    old_ids = world.write(org, resource, old_canary, n=3)
    ((old_key_id, old_scope, old_wrapped),) = world.keys(org)
    old_sealed = [
        bytes(r[0])
        for r in world.raw(org, "SELECT sealed_content FROM monitoring_records WHERE org_id = :org")
    ]  # type: ignore[arg-type]
    # A backup of the region database (and a copy of its rows on PostgreSQL) taken before the purge.
    backup_rows = world.records(org)
    backup = tmp_path / "backup-tutela.db"
    if world.backend == "sqlite":
        _sqlite_backup(world.region_dir("eu-fr") / "tutela.db", backup)

    world.clock.advance(timedelta(days=29, hours=23))  # D+29, 23:01: kept
    service.purge(world.runtime)
    assert len(world.records(org)) == 3, "nothing may go before its day's 30 days are up"

    world.clock.advance(timedelta(hours=1))  # D+30, 00:01: exactly 30 days old, gone
    fresh_canary = _canary()
    (fresh_id,) = world.write(org, resource, fresh_canary)
    result = service.purge(world.runtime)
    assert result.records >= 3 and result.keys >= 1

    # Raw database: only the fresh record is left; the old day's key row is gone from the key store.
    left = world.raw(org, "SELECT request_id FROM monitoring_records WHERE org_id = :org")
    assert [r[0] for r in left] == [fresh_id]
    assert old_scope not in {k[1] for k in world.keys(org)}
    assert not set(old_ids) & {r[0] for r in left}

    # The backup still holds the old ciphertext, but its day key is destroyed everywhere.
    with world.runtime.region("eu-fr").keys_db.session() as kdb, pytest.raises(DataKeyDestroyed):
        world.runtime.keys.get(kdb, str(old_key_id), org_id=org)
    for record in backup_rows:
        with pytest.raises(ContentUnavailable):
            service.decrypt(world.runtime, record)
    if world.backend == "sqlite":
        with sqlite3.connect(backup) as conn:
            copied = conn.execute(
                "SELECT sealed_content, content_key_id FROM monitoring_records WHERE org_id = ?", (org,)
            ).fetchall()
        assert len(copied) == 3 and {c[1] for c in copied} == {old_key_id}
        # The raw files: no old ciphertext in the region database (+WAL), no wrapped old key in the key store.
        region_files = _files(world.region_dir("eu-fr"))
        for path, data in region_files.items():
            for sealed in old_sealed:
                assert sealed not in data, f"expired ciphertext still in {path}"
            assert bytes(old_wrapped) not in data, f"destroyed key still in {path}"  # type: ignore[arg-type]
            assert old_canary.encode() not in data and fresh_canary.encode() not in data
    # Fresh content is untouched and a second purge changes nothing (idempotent).
    with world.runtime.region_session(org) as db:
        fresh = service.get_record(db, org_id=org, resource_id=resource, request_id=fresh_id)
    assert service.decrypt(world.runtime, fresh)["prompt"] == [fresh_canary]
    again = service.purge(world.runtime)
    assert (again.records, again.keys) == (0, 0)


def test_retention_is_configurable_lower_per_organization(world: World) -> None:
    short, short_res = world.new_org("us-east")
    normal, normal_res = world.new_org("us-east")
    with world.runtime.region_session(short) as db:
        service.set_retention(world.runtime, db, org_id=short, actor="user:x", retention_days=7)
        with pytest.raises(Exception, match="between 1 and 30"):
            service.set_retention(world.runtime, db, org_id=short, actor="user:x", retention_days=31)
    world.write(short, short_res, _canary(), n=2)
    world.write(normal, normal_res, _canary(), n=2)
    world.clock.advance(timedelta(days=8))
    service.purge(world.runtime, region="us-east")
    assert world.records(short) == [] and world.keys(short) == []
    assert len(world.records(normal)) == 2 and len(world.keys(normal)) == 1
    with world.runtime.region_session(short) as db:
        actions = [
            a[0]
            for a in db.execute(
                text("SELECT action FROM audit_entries WHERE org_id = :o ORDER BY seq"), {"o": short}
            )
        ]
    assert "monitoring.retention_changed" in actions and "monitoring.purged" in actions


def test_purge_is_restartable_after_a_crash_and_safe_concurrently(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    org, resource = world.new_org("eu-fr")
    world.write(org, resource, _canary(), n=20)
    world.clock.advance(timedelta(days=31))

    # Crash between deleting the day's records and destroying its key.
    real = world.runtime.keys.destroy_scope
    calls = {"n": 0}

    def crash_once(*args: object, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("process killed")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(world.runtime.keys, "destroy_scope", crash_once)
    with pytest.raises(RuntimeError):
        service.purge_organization(
            world.runtime, world.runtime.region("eu-fr"), org_id=org, now=world.clock.now()
        )
    assert world.records(org) == [] and len(world.keys(org)) == 1, "records gone, key left behind"
    monkeypatch.setattr(world.runtime.keys, "destroy_scope", real)
    assert service.purge(world.runtime).keys >= 1
    assert world.keys(org) == []

    # Several purges at once over fresh expired data: no error, every record deleted exactly once.
    org2, resource2 = world.new_org("eu-fr")
    world.write(org2, resource2, _canary(), n=200)
    world.clock.advance(timedelta(days=31))
    results: list[service.PurgeResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(service.purge(world.runtime, region="eu-fr"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert world.records(org2) == [] and world.keys(org2) == []
    assert sum(r.records for r in results) >= 200
