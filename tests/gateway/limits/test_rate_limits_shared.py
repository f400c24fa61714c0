"""Two `tutela serve` processes on one Redis share their rate-limit counters; limits set with the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import openai
import pytest
import redis

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.databases import REDIS_URL, require_redis
from tests.support.platform import FAST_AUTH, PASSWORD, open_runtime
from tests.support.processes import serving, tutela_env, wait_serving
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

HELLO = [{"role": "user", "content": "Say hello to the class"}]


@pytest.fixture
def redis_queue() -> Iterator[str]:
    require_redis()
    queue = f"t{uuid.uuid4().hex[:12]}"
    yield queue
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"tutela:*:{queue}:*"):
        client.delete(key)


def test_two_processes_share_a_keys_requests_per_minute(redis_queue: str, tmp_path: Path) -> None:
    with FakeUpstream.running() as upstream:
        _two_processes(redis_queue, tmp_path, upstream)


def _two_processes(redis_queue: str, tmp_path: Path, upstream: FakeUpstream) -> None:
    variables = {
        "TUTELA_DATA_DIR": str(tmp_path / "data"),
        "TUTELA_JOBS__BACKEND": "redis",
        "TUTELA_JOBS__URL": REDIS_URL,
        "TUTELA_JOBS__QUEUE_NAME": redis_queue,
        "TUTELA_JOBS__RUN_IN_PROCESS": "false",
        "TUTELA_AUTH__ARGON2_TIME_COST": str(FAST_AUTH["argon2_time_cost"]),
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": str(FAST_AUTH["argon2_memory_kib"]),
    }
    settings = Settings(
        data_dir=tmp_path / "data",
        jobs={"backend": "redis", "url": REDIS_URL, "queue_name": redis_queue},  # type: ignore[arg-type]
        auth=FAST_AUTH,  # type: ignore[arg-type]
    )
    with open_runtime(settings) as runtime:
        org = organizations.create(
            runtime,
            name="Shared Limits",
            region=runtime.settings.home_region,
            actor="test",
            admin=organizations.NewAdmin(email="admin@example.com", display_name="Admin", password=PASSWORD),
        )
        with runtime.region_session(org.id) as db:
            resource = resources.find_resource(db, org_id=org.id, name="default")
            assert resource is not None
            deployments.create(
                runtime, db, registry=default_registry(plugins=False), org_id=org.id, resource_id=resource.id,
                name="tutor", provider="openai", model="fake-model", base_url=upstream.base_url,
                api_key=upstream.api_key,
            )  # fmt: skip
            key_row, key = resources.create_key(db, org_id=org.id, resource_id=resource.id)
    env = tutela_env(variables)
    cli = [sys.executable, "-m", "tutela.cli", "limits"]
    done = subprocess.run(
        [*cli, "set", "--org", "shared-limits", "--scope", "key", "--subject", key_row.id, "--rpm", "3"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout)["requests_per_minute"] == 3
    listed = subprocess.run(
        [*cli, "list", "--org", "shared-limits"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert [json.loads(line)["scope"] for line in listed.stdout.splitlines()] == ["key"]
    with serving(env, tmp_path / "a.log", wait=False) as a, serving(env, tmp_path / "b.log", wait=False) as b:
        wait_serving(a)
        wait_serving(b)
        if datetime.now(UTC).second >= 50:  # the requests below must fall in one clock minute
            time.sleep(61 - datetime.now(UTC).second)
        clients = [openai.OpenAI(base_url=f"{p.base_url}/v1", api_key=key, max_retries=0) for p in (a, b, a)]
        remaining = []
        for client in clients:  # three requests, split over both processes
            raw = client.chat.completions.with_raw_response.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
            remaining.append(raw.headers["x-ratelimit-remaining-requests"])
        assert remaining == ["2", "1", "0"]
        for process in (a, b):  # each refuses now, whichever counted the requests
            client = openai.OpenAI(base_url=f"{process.base_url}/v1", api_key=key, max_retries=0)
            with pytest.raises(openai.RateLimitError) as refused:
                client.chat.completions.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
            assert int(refused.value.response.headers["retry-after"]) >= 1
