"""Recording stays off the hot path: `record()` never waits for the database, a full queue drops instead of
blocking, and a process killed with records still queued leaves a consistent store (it loses only those)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

from tests.support.platform import FAST_AUTH, open_runtime
from tutela.config import RegionSettings, Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import Caller
from tutela.gateway.exchange import Exchange
from tutela.gateway.monitoring import service
from tutela.gateway.monitoring.models import MonitoringRecord
from tutela.gateway.monitoring.recorder import BATCH, MonitoringRecorder
from tutela.gateway.monitoring.texts import StreamText, request_texts, response_texts
from tutela.gateway.monitoring.verdicts import summarize
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse


def _settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        regions=[RegionSettings(name="local")],
        auth=FAST_AUTH,  # type: ignore[arg-type]
        jobs={"backend": "immediate"},  # type: ignore[arg-type]
    )


def _exchange(org_id: str, text: str = "hello") -> Exchange:
    caller = Caller(
        org_id=org_id, region="local", resource_id=str(uuid.uuid4()), key_id="", content_logging=True
    )
    exchange = Exchange(caller=caller, deployment="extractive", operation="chat")
    exchange.prompt_texts = [text]
    exchange.completion_texts = ["answer"]
    return exchange


def test_record_does_not_wait_for_a_locked_database(tmp_path: Path) -> None:
    with open_runtime(_settings(tmp_path)) as runtime:
        org = organizations.create(runtime, name="Fast", region="local", actor="t").id
        recorder = MonitoringRecorder(runtime, capacity=50, purge_every=None)
        # Another writer holds SQLite's write lock: every write of the recorder thread must wait.
        blocker = sqlite3.connect(tmp_path / "regions" / "local" / "tutela.db", timeout=1)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            # More than the queue plus one batch the writer may already hold: some must overflow.
            total = 50 + BATCH + 150
            started = time.perf_counter()
            for i in range(total):
                recorder.record(_exchange(org, f"prompt {i}"))
            elapsed = time.perf_counter() - started
            # Waiting for the lock would take seconds (busy timeout); queueing a copy takes microseconds.
            assert elapsed < 1.0, f"{total} record() calls took {elapsed:.3f} s with the database locked"
            assert recorder.dropped > 0, "a full queue drops records instead of blocking the response"
            assert recorder.written == 0
        finally:
            blocker.rollback()
            blocker.close()
        assert recorder.flush(timeout=30)
        with runtime.region_session(org) as db:
            stored = db.query(MonitoringRecord).filter_by(org_id=org).count()
        assert stored == total - recorder.dropped
        assert stored >= 50
        recorder.close()


CHILD = textwrap.dedent(
    """
    import os, sys, uuid
    from pathlib import Path
    from tutela.config import RegionSettings, Settings
    from tutela.runtime import Runtime
    from tutela.gateway.access import Caller
    from tutela.gateway.exchange import Exchange
    from tutela.gateway.monitoring.recorder import MonitoringRecorder

    runtime = Runtime(Settings(data_dir=Path(sys.argv[1]), regions=[RegionSettings(name="local")]))
    recorder = MonitoringRecorder(runtime, purge_every=None)
    caller = Caller(
        org_id=sys.argv[2], region="local", resource_id=sys.argv[3], key_id="", content_logging=True
    )
    for i in range(3000):
        exchange = Exchange(caller=caller, deployment="extractive", operation="chat")
        exchange.prompt_texts = ["prompt %d " % i + "x" * 2000]
        exchange.completion_texts = ["answer %d" % i]
        recorder.record(exchange)
        if i == 1500:
            recorder.flush(timeout=30)  # some are surely written before the kill
    os.kill(os.getpid(), 9)  # killed with records still queued or half-written
    """
)


def test_a_killed_process_loses_only_queued_records(tmp_path: Path) -> None:
    with open_runtime(_settings(tmp_path)) as runtime:
        org = organizations.create(runtime, name="Crash", region="local", actor="t").id
        resource = str(uuid.uuid4())
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), org, resource], env=env, capture_output=True, timeout=120
    )
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    database = tmp_path / "regions" / "local" / "tutela.db"
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with open_runtime(_settings(tmp_path)) as runtime:
        with runtime.region_session(org) as db:
            stored = db.query(MonitoringRecord).filter_by(org_id=org).all()
        assert 1501 <= len(stored) <= 3000
        for record in stored:  # every record that exists is whole: its content decrypts and matches
            content = service.decrypt(runtime, record)
            number = content["completion"][0].split()[1]
            assert content["prompt"][0].startswith(f"prompt {number} ")


def test_verdicts_and_texts_are_read_whatever_their_nesting() -> None:
    assert summarize({}) == summarize({"prompt": {"hate": {"filtered": False, "severity": "safe"}}})
    high = summarize({"completion": [{"sexual": {"severity": "high", "filtered": True}}]})
    assert (high.filtered, high.severity, high.jailbreak) == (True, "high", False)
    jail = summarize(
        {"prompt_filter_results": [{"content_filter_results": {"jailbreak": {"detected": True}}}]}
    )
    assert jail.jailbreak and not jail.filtered
    request = ChatRequest.model_validate(
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "part"}]}]}
    )
    assert request_texts(request) == ["part"]
    response = ChatResponse.model_validate(
        {
            "id": "x",
            "created": 1,
            "model": "m",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "yes"}, "finish_reason": "stop"}
            ],
        }
    )
    assert response_texts(response) == ["yes"]
    streamed = StreamText()
    for piece in ("a", "b", "c"):
        streamed.add(
            ChatChunk.model_validate(
                {
                    "id": "x",
                    "created": 1,
                    "model": "m",
                    "choices": [{"index": 0, "delta": {"content": piece}}],
                }
            )
        )
    assert streamed.texts() == ["abc"]
