"""A generation job survives the death of its process: `tutela serve` (running jobs in process) or a
`tutela worker` is killed with SIGKILL mid-job, a new process starts, and the job ends `succeeded` (retried)
or `failed` with its message, with exactly one module. On SQLite, and on Redis + PostgreSQL.

To be sure the kill lands mid-job, the job's deployment is an `openai` deployment whose upstream is a gate on
loopback: it holds every request until the test opens it, then forwards it to the running Tutela's own
built-in `extractive` deployment, so the retried job really generates its module.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from tests.support.databases import REDIS_URL, require_redis, settings_for
from tests.support.platform import FAST_AUTH, PASSWORD, open_runtime
from tests.support.processes import TutelaProcess, poll, serving, tutela_env, tutela_process, wait_serving
from tests.support.server import serve
from tutela.authoring.modules.models import Module
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

PDF = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "real" / "pdflatex-4-pages.pdf"
LEASES = {
    "TUTELA_JOBS__LEASE_SECONDS": "3",
    "TUTELA_JOBS__HEARTBEAT_SECONDS": "0.5",
    "TUTELA_JOBS__REAP_SECONDS": "0.5",
}


class Gate:
    """An upstream that holds requests until opened, then forwards them to `target` (a Tutela gateway)."""

    def __init__(self) -> None:
        self.held = 0
        self.forwarded = 0
        self.target = ""
        self.opened = asyncio.Event()
        self.app = FastAPI()
        self.app.add_api_route("/v1/{path:path}", self._forward, methods=["POST", "GET"])

    async def _forward(self, path: str, request: Request) -> Response:
        self.held += 1
        await self.opened.wait()
        async with httpx.AsyncClient(timeout=120) as client:
            answer = await client.request(
                request.method,
                f"{self.target}/v1/{path}",
                content=await request.body(),
                headers={
                    "authorization": request.headers.get("authorization", ""),
                    "content-type": "application/json",
                },
            )
        self.forwarded += 1
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    def open(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Let every held and future request through."""
        assert loop is not None
        loop.call_soon_threadsafe(self.opened.set)


@contextmanager
def gate() -> Iterator[tuple[Gate, str, list[asyncio.AbstractEventLoop]]]:
    """A running gate, its base URL, and (once it served a request) its event loop."""
    gate = Gate()
    loops: list[asyncio.AbstractEventLoop] = []

    @gate.app.middleware("http")
    async def remember_loop(request: Request, call_next: Any) -> Response:
        if not loops:
            loops.append(asyncio.get_running_loop())
        response: Response = await call_next(request)
        return response

    with serve(gate.app) as url:
        yield gate, url, loops


def _env_of(settings: Settings, jobs: dict[str, str]) -> dict[str, str]:
    regions = [
        {
            "name": r.name,
            "jurisdiction": r.jurisdiction,
            "database_url": r.database_url,
            "keys_url": r.keys_url,
        }
        for r in settings.regions
    ]
    return tutela_env(
        {
            "TUTELA_DATA_DIR": str(settings.data_dir),
            "TUTELA_DIRECTORY_URL": settings.directory_url,
            "TUTELA_REGIONS": json.dumps(regions),
            "TUTELA_AUTH__ARGON2_TIME_COST": str(FAST_AUTH["argon2_time_cost"]),
            "TUTELA_AUTH__ARGON2_MEMORY_KIB": str(FAST_AUTH["argon2_memory_kib"]),
            "TUTELA_JOBS__WORKERS": "1",
        }
        | LEASES
        | jobs
    )


@contextmanager
def world(backend: str, tmp_path: Path, gate_url: str) -> Iterator[tuple[Settings, dict[str, str], str]]:
    """Databases and a queue on `backend` ("sqlite", or "redis" with PostgreSQL), an organization whose
    `gated` deployment goes through the gate; yields settings, job variables and the organization's id."""
    with ExitStack() as stack:
        if backend == "sqlite":
            jobs = {"TUTELA_JOBS__BACKEND": "sqlite"}
            job_settings: dict[str, Any] = {"backend": "sqlite"}
            settings = stack.enter_context(
                settings_for("sqlite", tmp_path / "data", auth=FAST_AUTH, jobs=job_settings)
            )
        else:
            require_redis()
            queue = f"t{uuid.uuid4().hex[:12]}"
            jobs = {
                "TUTELA_JOBS__BACKEND": "redis",
                "TUTELA_JOBS__URL": REDIS_URL,
                "TUTELA_JOBS__QUEUE_NAME": queue,
            }
            job_settings = {"backend": "redis", "url": REDIS_URL, "queue_name": queue}
            settings = stack.enter_context(
                settings_for("postgres", tmp_path / "data", auth=FAST_AUTH, jobs=job_settings)
            )
            stack.callback(_drop_queue, queue)
        with open_runtime(settings) as runtime:
            org = organizations.create(
                runtime,
                name=f"Recovery {uuid.uuid4().hex[:6]}",
                region=runtime.settings.home_region,
                actor="test",
                admin=organizations.NewAdmin(
                    email="admin@example.com", display_name="Admin", password=PASSWORD
                ),
            )
            with runtime.region_session(org.id) as db:
                resource = resources.find_resource(db, org_id=org.id, name="default")
                assert resource is not None
                _, key = resources.create_key(db, org_id=org.id, resource_id=resource.id)
                deployments.create(
                    runtime, db, registry=default_registry(plugins=False), org_id=org.id,
                    resource_id=resource.id, name="gated", provider="openai", model="extractive",
                    base_url=f"{gate_url}/v1", api_key=key,
                )  # fmt: skip
        yield settings, jobs, org.id


def _drop_queue(queue: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"huey.*.{queue}"):
        client.delete(key)


def _start_job(base_url: str, slug_of: str) -> tuple[str, str]:
    """Sign in, upload, start generating with the gated deployment; (token, job id)."""
    login = httpx.post(
        f"{base_url}/api/auth/login",
        json={"organization": slug_of, "email": "admin@example.com", "password": PASSWORD},
        timeout=60,
    )
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with PDF.open("rb") as f:
        uploaded = httpx.post(
            f"{base_url}/api/documents", headers=headers, files={"file": (PDF.name, f)}, timeout=120
        )
    assert uploaded.status_code == 201, uploaded.text
    started = httpx.post(
        f"{base_url}/api/modules",
        headers=headers,
        json={"document_id": uploaded.json()["id"], "deployment": "gated"},
        timeout=60,
    )
    assert started.status_code == 202, started.text
    return token, started.json()["id"]


def _job(base_url: str, token: str, job_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{base_url}/api/modules/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def _ended(base_url: str, token: str, job_id: str) -> dict[str, Any] | None:
    job = _job(base_url, token, job_id)
    return job if job["status"] in ("succeeded", "failed") else None


def _modules_of(settings: Settings, org_id: str) -> int:
    with open_runtime(settings) as runtime, runtime.region_session(org_id) as db:
        return int(db.scalar(select(func.count()).select_from(Module).where(Module.org_id == org_id)) or 0)


def _slug(settings: Settings, org_id: str) -> str:
    with open_runtime(settings) as runtime, runtime.region_session(org_id) as db:
        return organizations.get(db, org_id=org_id).slug


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
@pytest.mark.parametrize("killed", ["serve", "worker"])
def test_a_job_whose_process_is_killed_is_retried_and_makes_one_module(
    backend: str, killed: str, tmp_path: Path
) -> None:
    with gate() as (held, gate_url, loops), world(backend, tmp_path, gate_url) as (settings, jobs, org_id):
        slug = _slug(settings, org_id)
        in_process = {"TUTELA_JOBS__RUN_IN_PROCESS": "true" if killed == "serve" else "false"}
        env = _env_of(settings, jobs | in_process)
        with ExitStack() as stack:
            first: TutelaProcess = stack.enter_context(serving(env, tmp_path / "serve-1.log", wait=False))
            if killed == "worker":  # started side by side with the web process
                victim = stack.enter_context(tutela_process(["worker"], env, tmp_path / "worker-1.log"))
            else:
                victim = first
            wait_serving(first)
            held.target = first.base_url
            token, job_id = _start_job(first.base_url, slug)
            poll(lambda: held.held >= 1, what="the job's first model request", timeout=180)
            running = _job(first.base_url, token, job_id)
            assert running["status"] == "running", running
            victim.kill()
            assert victim.process.returncode == -9

            if killed == "serve":  # a new web process (running jobs in process) takes over
                survivor = stack.enter_context(serving(env, tmp_path / "serve-2.log"))
            else:  # the web process lives on; a new worker takes over
                survivor = first
                stack.enter_context(tutela_process(["worker"], env, tmp_path / "worker-2.log"))
            held.target = survivor.base_url
            held.open(loops[0])
            job = poll(lambda: _ended(survivor.base_url, token, job_id), what="the job to end", timeout=300)
            assert isinstance(job, dict)
            assert job["status"] == "succeeded", (job["error"], survivor.output()[-3000:])
            assert job["module_id"]
            listed = httpx.get(
                f"{survivor.base_url}/api/modules", headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            assert [m["id"] for m in listed.json()] == [job["module_id"]]
        assert _modules_of(settings, org_id) == 1


def test_a_job_out_of_attempts_fails_with_its_message(tmp_path: Path) -> None:
    with gate() as (held, gate_url, loops), world("sqlite", tmp_path, gate_url) as (settings, jobs, org_id):
        env = _env_of(settings, jobs | {"TUTELA_JOBS__MAX_ATTEMPTS": "1"})
        slug = _slug(settings, org_id)
        with serving(env, tmp_path / "serve-1.log") as first:
            held.target = first.base_url
            token, job_id = _start_job(first.base_url, slug)
            poll(lambda: held.held >= 1, what="the job's first model request", timeout=180)
            first.kill()
        with serving(env, tmp_path / "serve-2.log") as second:
            job = poll(lambda: _ended(second.base_url, token, job_id), what="the job to end", timeout=120)
            assert isinstance(job, dict)
            assert job["status"] == "failed"
            assert job["error"]["code"] == "interrupted"
            assert job["error"]["message"].startswith("generation was interrupted once")
            assert job["module_id"] is None
            held.open(loops[0])
        assert _modules_of(settings, org_id) == 0
