"""Two `tutela serve` processes sharing the jobs backend (Redis, or PostgreSQL) share their failure counters:
failures counted by one make the other refuse with 429."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.databases import REDIS_URL, postgres_databases, require_postgres, require_redis
from tests.support.platform import FAST_AUTH, PASSWORD, open_runtime
from tests.support.processes import serving, tutela_env, wait_serving
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.resources import service as resources


@pytest.fixture(params=["redis", "postgres"])
def jobs_backend(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The TUTELA_JOBS__* variables of a shared backend."""
    queue = f"t{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        require_redis()
        yield {
            "TUTELA_JOBS__BACKEND": "redis",
            "TUTELA_JOBS__URL": REDIS_URL,
            "TUTELA_JOBS__QUEUE_NAME": queue,
        }
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"tutela:auth-failures:{queue}:*"):
            client.delete(key)
    else:
        require_postgres()
        with postgres_databases(["jobs"]) as urls:
            yield {
                "TUTELA_JOBS__BACKEND": "postgres",
                "TUTELA_JOBS__URL": urls["jobs"],
                "TUTELA_JOBS__QUEUE_NAME": queue,
            }


def test_two_processes_share_failed_sign_ins_and_wrong_keys(
    jobs_backend: dict[str, str], tmp_path: Path
) -> None:
    variables = jobs_backend | {
        "TUTELA_DATA_DIR": str(tmp_path / "data"),
        "TUTELA_JOBS__RUN_IN_PROCESS": "false",
        "TUTELA_AUTH__ARGON2_TIME_COST": str(FAST_AUTH["argon2_time_cost"]),
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": str(FAST_AUTH["argon2_memory_kib"]),
    }
    settings = Settings(
        data_dir=tmp_path / "data",
        jobs={"backend": jobs_backend["TUTELA_JOBS__BACKEND"], "url": jobs_backend["TUTELA_JOBS__URL"]},  # type: ignore[arg-type]
        auth=FAST_AUTH,  # type: ignore[arg-type]
    )
    with open_runtime(settings) as runtime:
        org = organizations.create(
            runtime,
            name="Shared Counters",
            region=runtime.settings.home_region,
            actor="test",
            admin=organizations.NewAdmin(email="admin@example.com", display_name="Admin", password=PASSWORD),
        )
        with runtime.region_session(org.id) as db:
            resource = resources.find_resource(db, org_id=org.id, name="default")
            assert resource is not None
            _, key = resources.create_key(db, org_id=org.id, resource_id=resource.id)
    env = tutela_env(variables)
    with serving(env, tmp_path / "a.log", wait=False) as a, serving(env, tmp_path / "b.log", wait=False) as b:
        wait_serving(a)
        wait_serving(b)
        login = {"organization": "shared-counters", "email": "admin@example.com"}
        for n in range(5):  # the account's five free failures, split over both processes
            response = httpx.post(
                f"{(a, b)[n % 2].base_url}/api/auth/login", json=login | {"password": "wrong!!!"}
            )
            assert response.status_code == 401, response.text
        for process in (a, b):  # each refuses even the right password now
            refused = httpx.post(f"{process.base_url}/api/auth/login", json=login | {"password": PASSWORD})
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["retry-after"]) >= 1
            assert refused.json()["error"]["code"] == "too_many_attempts"

        wrong = {"Authorization": f"Bearer {key.rsplit('.', 1)[0]}.not-the-secret"}
        for _ in range(20):  # the address's twenty free wrong keys, all at A
            assert httpx.get(f"{a.base_url}/v1/models", headers=wrong).status_code == 401
        # B never saw a failure from this address, yet its first wrong key is refused from the shared count,
        # and from then on B refuses the right key too without checking it.
        at_b = httpx.get(f"{b.base_url}/v1/models", headers=wrong)
        assert at_b.status_code == 429, at_b.text
        assert at_b.json()["error"]["type"] == "rate_limit_error"
        assert int(at_b.headers["retry-after"]) >= 1
        right = httpx.get(f"{b.base_url}/v1/models", headers={"Authorization": f"Bearer {key}"})
        assert right.status_code == 429
