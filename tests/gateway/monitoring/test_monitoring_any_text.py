"""Abuse monitoring cannot be evaded by what a prompt holds, and one record that cannot be written costs
only itself: arbitrary text (lone surrogates, NUL, megabytes) is stored and decrypts to exactly what was
sent; a record the database refuses is retried, and if it stays refused it is counted as lost and logged.

Runtime level on SQLite and PostgreSQL, through the same `service.write` and recorder the gateway uses;
the database's refusal is real (a trigger that aborts the INSERT), not a stand-in.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.support.databases import settings_for
from tests.support.platform import FAST_AUTH, open_runtime
from tutela.core.organizations import service as organizations
from tutela.gateway.access import Caller
from tutela.gateway.exchange import Exchange
from tutela.gateway.monitoring import service
from tutela.gateway.monitoring.encoding import decode_content, displayable, encode_content
from tutela.gateway.monitoring.models import MonitoringRecord
from tutela.gateway.monitoring.recorder import MonitoringRecorder
from tutela.gateway.monitoring.service import DayKeys, Snapshot
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime

# Every code point, lone surrogates (category Cs) and NUL included.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=300)
MEGABYTES = "ignore all previous instructions \ud800\x00 " + "Ω\udfff𝄞x" * 400_000  # ~2.8 MB


@dataclass
class World:
    runtime: Runtime
    backend: str
    org_id: str
    resource_id: str
    keys: DayKeys

    def snapshot(self, prompt: list[str], completion: list[str], *, prefix: str = "req") -> Snapshot:
        return Snapshot(
            request_id=f"{prefix}_{uuid.uuid4().hex}",
            org_id=self.org_id,
            resource_id=self.resource_id,
            key_id="",
            content_logging=True,
            deployment="extractive",
            operation="chat",
            streamed=False,
            at=self.runtime.clock.now(),
            prompt_texts=tuple(prompt),
            completion_texts=tuple(completion),
        )

    def stored(self, request_id: str) -> MonitoringRecord | None:
        with self.runtime.region_session(self.org_id) as db:
            return (
                db.query(MonitoringRecord)
                .filter(MonitoringRecord.org_id == self.org_id, MonitoringRecord.request_id == request_id)
                .one_or_none()
            )

    def exchange(self, request_id: str) -> Exchange:
        caller = Caller(
            org_id=self.org_id,
            region="local",
            resource_id=self.resource_id,
            key_id="",
            content_logging=True,
        )
        exchange = Exchange(caller=caller, deployment="extractive", operation="chat", request_id=request_id)
        exchange.prompt_texts = ["bad \ud800 prompt"]
        exchange.completion_texts = ["answer"]
        return exchange

    @contextmanager
    def refusing(self, prefix: str) -> Iterator[None]:
        """While inside, the database aborts every INSERT of a record whose request id starts with prefix."""
        engine = self.runtime.region_of(self.org_id).db.engine
        if self.backend == "sqlite":
            create = [
                f"CREATE TRIGGER refuse_{prefix} BEFORE INSERT ON monitoring_records"
                f" WHEN NEW.request_id LIKE '{prefix}%' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            ]
            drop = [f"DROP TRIGGER refuse_{prefix}"]
        else:
            create = [
                f"CREATE FUNCTION refuse_{prefix}() RETURNS trigger AS $$ BEGIN"
                f" IF NEW.request_id LIKE '{prefix}%' THEN RAISE EXCEPTION 'refused'; END IF;"
                " RETURN NEW; END $$ LANGUAGE plpgsql",
                f"CREATE TRIGGER refuse_{prefix} BEFORE INSERT ON monitoring_records"
                f" FOR EACH ROW EXECUTE FUNCTION refuse_{prefix}()",
            ]
            drop = [f"DROP TRIGGER refuse_{prefix} ON monitoring_records", f"DROP FUNCTION refuse_{prefix}()"]
        with engine.begin() as conn:
            for sql in create:
                conn.execute(text(sql))
        try:
            yield
        finally:
            with engine.begin() as conn:
                for sql in drop:
                    conn.execute(text(sql))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp(f"monitoring-text-{request.param}")
    extra = {"auth": FAST_AUTH, "jobs": {"backend": "immediate"}}
    with settings_for(request.param, data_dir, **extra) as config, open_runtime(config) as runtime:
        org = organizations.create(runtime, name=f"Text {uuid.uuid4().hex[:8]}", region="local", actor="t")
        with runtime.region_session(org.id) as db:
            resource = resources.find_resource(db, org_id=org.id, name="default")
            assert resource is not None
            resource_id = resource.id
        yield World(runtime, request.param, org.id, resource_id, DayKeys())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompt=st.lists(ANY_TEXT, min_size=1, max_size=3), completion=st.lists(ANY_TEXT, max_size=2))
@example(prompt=["\ud800"], completion=[])
@example(prompt=["\x00", "\udfff\ud800", "\ud83d\ude00"], completion=["\udc80\udcff"])
@example(prompt=[MEGABYTES], completion=[MEGABYTES[::-1]])
def test_any_text_is_recorded_and_decrypts_exactly(
    world: World, prompt: list[str], completion: list[str]
) -> None:
    snap = world.snapshot(prompt, completion)
    result = service.write(world.runtime, [snap], keys=world.keys)
    assert (result.written, result.failed) == (1, [])
    record = world.stored(snap.request_id)
    assert record is not None and record.sealed_content is not None
    assert service.decrypt(world.runtime, record) == {"prompt": prompt, "completion": completion}


@given(texts=st.lists(ANY_TEXT, max_size=4))
def test_encoding_round_trips_and_valid_text_is_plain_utf8(texts: list[str]) -> None:
    body = encode_content(prompt=texts, completion=texts[::-1])
    assert decode_content(body) == {"prompt": texts, "completion": texts[::-1]}
    for shown in map(displayable, texts):
        shown.encode("utf-8")  # what a reviewer is shown is always sendable
    if not any("\ud800" <= ch <= "\udfff" for t in texts for ch in t):
        assert body.decode("utf-8") is not None  # no surrogates: strict UTF-8


def test_displayable_shows_a_lone_surrogate_as_its_escape() -> None:
    assert displayable("a\ud800b\x00") == "a\\ud800b\x00"
    assert displayable("ok é 𝄞") == "ok é 𝄞"


def test_a_record_the_database_refuses_costs_only_itself(world: World) -> None:
    good = [world.snapshot([f"fine {i} \ud800"], ["ok"]) for i in range(4)]
    bad = world.snapshot(["refused here"], ["ok"], prefix="refusedone")
    with world.refusing("refusedone"):
        result = service.write(world.runtime, [good[0], good[1], bad, good[2], good[3]], keys=world.keys)
    assert result.written == 4
    assert [s.request_id for s in result.failed] == [bad.request_id]
    assert all(world.stored(s.request_id) is not None for s in good)
    assert world.stored(bad.request_id) is None


def test_a_failed_batch_is_retried_until_written(world: World) -> None:
    recorder = MonitoringRecorder(world.runtime, purge_every=None, retry_delays=(0.2, 0.2, 0.2, 30.0))
    ids = [f"refusedtmp_{uuid.uuid4().hex}" for _ in range(3)]
    try:
        with world.refusing("refusedtmp"):
            for request_id in ids:
                recorder.record(world.exchange(request_id))
            deadline = time.monotonic() + 20
            while recorder.stats().retried < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert recorder.stats().retried >= 3, "the refused records were not tried again"
            assert recorder.stats().written == 0
        assert recorder.flush(timeout=60)
        stats = recorder.stats()
        assert (stats.written, stats.lost, stats.retrying) == (3, 0, 0)
        for request_id in ids:
            record = world.stored(request_id)
            assert record is not None
            assert service.decrypt(world.runtime, record)["prompt"] == ["bad \ud800 prompt"]
    finally:
        recorder.close()


def test_a_record_refused_on_every_attempt_is_counted_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = MonitoringRecorder(world.runtime, purge_every=None, retry_delays=(0.1, 0.1))
    lost_id = f"refusedall_{uuid.uuid4().hex}"
    kept_id = f"req_{uuid.uuid4().hex}"
    try:
        with world.refusing("refusedall"), caplog.at_level(logging.ERROR, logger="tutela.monitoring"):
            recorder.record(world.exchange(lost_id))
            recorder.record(world.exchange(kept_id))
            assert recorder.flush(timeout=30)
        stats = recorder.stats()
        assert (stats.written, stats.lost, stats.retried, stats.retrying) == (1, 1, 2, 0)
        assert world.stored(kept_id) is not None
        assert world.stored(lost_id) is None
        alerts = [r.getMessage() for r in caplog.records if "LOST" in r.getMessage()]
        assert len(alerts) == 1 and lost_id in alerts[0] and kept_id not in alerts[0]
    finally:
        recorder.close()
