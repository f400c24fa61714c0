"""The gateway keeps no prompt or completion: a canary sent through it appears in no log, database or file."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from sqlalchemy import inspect, select, table, text

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import running_platform
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime


class _Everything(logging.Handler):
    """Collects every formatted log line of every logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs() -> Iterator[_Everything]:
    handler = _Everything()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _database_text(runtime: Runtime) -> str:
    """Every value of every table of every database, as text."""
    dumps = []
    databases = [runtime.directory] + [db for r in runtime.regions.values() for db in (r.db, r.keys_db)]
    for database in databases:
        with database.engine.connect() as conn:
            for name in inspect(conn).get_table_names():
                dumps.extend(str(row) for row in conn.execute(select(text("*")).select_from(table(name))))
    return "\n".join(dumps)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_canary_leaves_no_trace(backend: str, tmp_path: Path, all_logs: _Everything) -> None:
    canary = f"CANARY-{uuid.uuid4().hex}"
    with FakeUpstream.running() as upstream, running_platform(backend, tmp_path) as platform:
        org_id = platform.new_org("Stateless")
        with platform.runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            deployments.create(
                platform.runtime,
                db,
                registry=default_registry(plugins=False),
                org_id=org_id,
                resource_id=resource.id,
                name="tutor",
                provider="openai",
                model="m",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
            _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        messages = [{"role": "user", "content": f"Please repeat {canary}"}]
        reply = client.chat.completions.create(model="tutor", messages=messages)  # type: ignore[arg-type]
        assert canary in (reply.choices[0].message.content or "")  # the canary did travel both ways
        streamed = client.chat.completions.create(model="tutor", messages=messages, stream=True)  # type: ignore[arg-type]
        assert canary in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        client.embeddings.create(model="tutor", input=canary)
        client.completions.create(model="tutor", prompt=canary)
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model=canary, messages=messages)  # type: ignore[arg-type]

        assert all_logs.lines, "the test must see the gateway's access log lines"
        assert any("/v1/chat/completions" in line for line in all_logs.lines)
        assert not [line for line in all_logs.lines if canary in line]
        assert canary not in _database_text(platform.runtime)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files, "the data directory must hold the databases and the key file"
    assert not [p for p in files if canary.encode() in p.read_bytes()]
