"""Job leases on SQLite and PostgreSQL: one claim per job, a lost lease stops its worker at the next write,
an expired lease is retried then failed, and a job can never make two modules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from tests.support.databases import settings_for
from tests.support.platform import FAST_AUTH, PASSWORD, open_runtime
from tutela.authoring.modules import leases, service
from tutela.authoring.modules.models import AuthoringJob, Module
from tutela.clock import ManualClock
from tutela.core.organizations import service as organizations
from tutela.core.users import service as users
from tutela.runtime import Runtime

JOBS = {"backend": "immediate", "lease_seconds": 30, "heartbeat_seconds": 5, "max_attempts": 2}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def runtime(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data_dir: Path = tmp_path_factory.mktemp(f"leases-{request.param}")
    with (
        settings_for(request.param, data_dir, auth=FAST_AUTH, jobs=JOBS) as settings,
        open_runtime(settings) as rt,
    ):
        yield rt


def _job(runtime: Runtime) -> tuple[str, str, str]:
    org = organizations.create(
        runtime,
        name=f"Leases {uuid.uuid4().hex[:6]}",
        region=runtime.settings.home_region,
        actor="test",
        admin=organizations.NewAdmin(email="admin@example.com", display_name="Admin", password=PASSWORD),
    )
    with runtime.region_session(org.id) as db:
        user = users.find_by_email(db, org_id=org.id, email="admin@example.com")
        assert user is not None
        job = service.create_job(
            db, org_id=org.id, user_id=user.id, kind="generate", params={"deployment": "x"}
        )
        return org.id, job.id, user.id


def _row(runtime: Runtime, org_id: str, job_id: str) -> AuthoringJob:
    with runtime.region_session(org_id) as db:
        row = db.get(AuthoringJob, job_id)
        assert row is not None
        return row


def _module(org_id: str, user_id: str, job_id: str) -> Module:
    return Module(
        org_id=org_id, title="t", language="en", deployment="x", model="x", created_by=user_id, job_id=job_id
    )


def _add_module(runtime: Runtime, org_id: str, user_id: str, job_id: str) -> str:
    with runtime.region_session(org_id) as db:
        module = _module(org_id, user_id, job_id)
        db.add(module)
        db.flush()
        return module.id


def _finish_with_a_module(runtime: Runtime, lease: leases.Lease, user_id: str) -> str:
    """A worker's last transaction: its module, then the end of the job (both rolled back if not its own)."""
    with runtime.region_session(lease.org_id) as db:
        module = _module(lease.org_id, user_id, lease.job_id)
        db.add(module)
        db.flush()
        lease.finish(db, status="succeeded", stage="done", percent=100, module_id=module.id)
        return module.id


def _advance(runtime: Runtime, seconds: float) -> None:
    clock = runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(seconds=seconds))


def test_a_job_is_claimed_once_and_a_lost_lease_stops_its_worker(runtime: Runtime) -> None:
    org_id, job_id, user_id = _job(runtime)
    first = leases.claim(runtime, org_id=org_id, job_id=job_id)
    assert first is not None
    assert leases.claim(runtime, org_id=org_id, job_id=job_id) is None  # enqueued twice, runs once
    first.renew(stage="lessons", percent=37)
    assert (_row(runtime, org_id, job_id).stage, _row(runtime, org_id, job_id).percent) == ("lessons", 37)

    _advance(runtime, 31)  # the first worker stalls past its lease
    enqueued: list[tuple[str, str]] = []
    assert leases.recover(runtime, enqueue=lambda o, j: enqueued.append((o, j))) >= 1
    assert (org_id, job_id) in enqueued
    row = _row(runtime, org_id, job_id)
    assert (row.status, row.stage, row.percent, row.lease_owner) == ("queued", "queued", 0, None)

    second = leases.claim(runtime, org_id=org_id, job_id=job_id)
    assert second is not None
    with pytest.raises(leases.LeaseLost):
        first.renew(stage="lessons", percent=80)  # the stalled worker wakes up: its next write stops it
    with pytest.raises(leases.LeaseLost):
        _finish_with_a_module(runtime, first, user_id)  # its module is rolled back with it
    module_id = _finish_with_a_module(runtime, second, user_id)
    row = _row(runtime, org_id, job_id)
    assert (row.status, row.module_id, row.attempts, row.lease_owner) == ("succeeded", module_id, 2, None)
    with runtime.region_session(org_id) as db:
        assert db.query(Module).filter(Module.job_id == job_id).count() == 1
    # Even a worker that skipped every check could not add a second module for the job.
    with pytest.raises(IntegrityError):
        _add_module(runtime, org_id, user_id, job_id)


def test_a_job_out_of_attempts_fails_with_a_message_and_is_not_enqueued(runtime: Runtime) -> None:
    org_id, job_id, _ = _job(runtime)
    enqueued: list[tuple[str, str]] = []
    for _ in range(JOBS["max_attempts"]):
        assert leases.claim(runtime, org_id=org_id, job_id=job_id) is not None
        _advance(runtime, 31)
        leases.recover(runtime, enqueue=lambda o, j: enqueued.append((o, j)))
    assert enqueued.count((org_id, job_id)) == JOBS["max_attempts"] - 1
    row = _row(runtime, org_id, job_id)
    assert (row.status, row.error_code, row.attempts) == ("failed", "interrupted", 2)
    assert row.error_message is not None and row.error_message.startswith(
        "generation was interrupted 2 times"
    )
    assert leases.claim(runtime, org_id=org_id, job_id=job_id) is None


def test_a_queued_job_nobody_claims_is_enqueued_again(runtime: Runtime) -> None:
    org_id, job_id, _ = _job(runtime)
    enqueued: list[tuple[str, str]] = []
    leases.recover(runtime, enqueue=lambda o, j: enqueued.append((o, j)))
    assert (org_id, job_id) not in enqueued  # young: its message is surely still on the queue
    _advance(runtime, runtime.settings.jobs.requeue_seconds + 1)
    leases.recover(runtime, enqueue=lambda o, j: enqueued.append((o, j)))
    leases.recover(runtime, enqueue=lambda o, j: enqueued.append((o, j)))  # not again until the next wait
    assert enqueued.count((org_id, job_id)) == 1
    assert leases.claim(runtime, org_id=org_id, job_id=job_id) is not None
