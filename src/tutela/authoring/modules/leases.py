"""Leases of generation jobs: a job whose process dies is retried or failed, never left running forever.

    queued ──claim──▶ running (owner, lease) ──finish──▶ succeeded | failed
       ▲                 │ lease not renewed for jobs.lease_seconds (the process died)
       └──── recover ────┤  attempts left: queued again, and put on the queue again
                         └  none left: failed, "interrupted", with a message saying so

A worker claims a queued job with one conditional UPDATE (so a job enqueued twice still runs once), renews
its lease from a heartbeat thread and with every progress write, and finishes only while it still owns the
lease. Every write is conditional on the owner: a worker that lost its lease (stalled past it, then woke up)
stops at its next write and leaves no trace. A job is retried from its start, the only safe point: nothing of
a generation is kept until the module is written, in the same transaction that ends the job.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tutela.authoring.modules.models import AuthoringJob
from tutela.runtime import Runtime

log = logging.getLogger("tutela.authoring.leases")

INTERRUPTED = "interrupted"


class LeaseLost(Exception):
    """The job is no longer this worker's (its lease ran out and it was retried or failed): stop quietly."""


def _new_owner() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Lease:
    """This worker's hold on one running job."""

    def __init__(self, runtime: Runtime, *, org_id: str, job_id: str, owner: str) -> None:
        self.runtime = runtime
        self.org_id = org_id
        self.job_id = job_id
        self.owner = owner
        self.lost = threading.Event()

    def expiry(self) -> datetime:
        """When the lease ends unless renewed before."""
        return self.runtime.clock.now() + timedelta(seconds=self.runtime.settings.jobs.lease_seconds)

    def write(self, db: Session, **values: Any) -> None:
        """Write `values` to the job row and renew the lease, or raise LeaseLost when it is not ours."""
        if self.lost.is_set():
            raise LeaseLost(self.job_id)
        stmt = (
            update(AuthoringJob)
            .where(
                AuthoringJob.id == self.job_id,
                AuthoringJob.org_id == self.org_id,
                AuthoringJob.status == "running",
                AuthoringJob.lease_owner == self.owner,
            )
            .values({"lease_expires_at": self.expiry()} | values)
            .execution_options(synchronize_session=False)
        )
        if db.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
            self.lost.set()
            raise LeaseLost(self.job_id)

    def renew(self, **values: Any) -> None:
        """Renew (and write `values`) in a transaction of its own."""
        with self.runtime.region_session(self.org_id) as db:
            self.write(db, **values)

    def finish(self, db: Session, **values: Any) -> None:
        """End the job with `values` (status, …) in the caller's transaction, if it is still ours."""
        self.write(db, lease_owner=None, lease_expires_at=None, **values)

    @contextlib.contextmanager
    def kept(self) -> Iterator[Lease]:
        """Renew the lease from a heartbeat thread while the block runs."""
        stop = threading.Event()
        interval = self.runtime.settings.jobs.heartbeat_seconds

        def beat() -> None:
            while not stop.wait(interval):
                try:
                    self.renew()
                except LeaseLost:
                    log.warning("generation job %s: lease lost; this worker stops", self.job_id)
                    return
                except Exception:  # a database hiccup: the next beat tries again, the lease has slack
                    log.exception("generation job %s: heartbeat failed", self.job_id)

        thread = threading.Thread(target=beat, name=f"lease-{self.job_id[:8]}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=30)


def interrupted_message(attempts: int) -> str:
    """What a job that kept losing its process says."""
    times = "once" if attempts == 1 else f"{attempts} times"
    return (
        f"generation was interrupted {times} (the process running it stopped unexpectedly) and was not "
        "retried again; start it again, and tell your operator if it keeps happening"
    )


def claim(runtime: Runtime, *, org_id: str, job_id: str) -> Lease | None:
    """Take a queued job (None when another worker has it, or it ended or was deleted)."""
    owner = _new_owner()
    lease = Lease(runtime, org_id=org_id, job_id=job_id, owner=owner)
    stmt = (
        update(AuthoringJob)
        .where(AuthoringJob.id == job_id, AuthoringJob.org_id == org_id, AuthoringJob.status == "queued")
        .values(
            status="running",
            stage="reading",
            percent=1,
            attempts=AuthoringJob.attempts + 1,
            lease_owner=owner,
            lease_expires_at=lease.expiry(),
        )
        .execution_options(synchronize_session=False)
    )
    with runtime.region_session(org_id) as db:
        if db.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
            return None
    return lease


def recover(runtime: Runtime, *, enqueue: Callable[[str, str], None]) -> int:
    """Retry or fail every running job whose lease ran out, and enqueue again queued jobs nobody claimed;
    the number of jobs recovered. Safe to run in several processes at once: every change is conditional."""
    recovered = 0
    for region in runtime.regions.values():
        with region.db.session() as db:
            recovered += _recover_running(runtime, db, enqueue=enqueue)
        with region.db.session() as db:
            recovered += _requeue_unclaimed(runtime, db, enqueue=enqueue)
    return recovered


def _recover_running(runtime: Runtime, db: Session, *, enqueue: Callable[[str, str], None]) -> int:
    settings = runtime.settings.jobs
    now = runtime.clock.now()
    expired = db.execute(
        select(AuthoringJob.id, AuthoringJob.org_id, AuthoringJob.attempts, AuthoringJob.lease_owner).where(
            AuthoringJob.status == "running",
            # Rows from before leases existed have none: their process is long gone.
            or_(AuthoringJob.lease_expires_at < now, AuthoringJob.lease_expires_at.is_(None)),
        )
    ).all()
    to_enqueue: list[tuple[str, str]] = []
    recovered = 0
    for job_id, org_id, attempts, owner in expired:
        retry = attempts < settings.max_attempts
        values: dict[str, Any]
        if retry:
            requeue_by = now + timedelta(seconds=settings.requeue_seconds)
            values = {"status": "queued", "stage": "queued", "percent": 0, "lease_expires_at": requeue_by}
        else:
            message = interrupted_message(attempts)
            values = {"status": "failed", "error_code": INTERRUPTED, "error_message": message}
            values |= {"finished_at": now, "lease_expires_at": None}
        stmt = (
            update(AuthoringJob)
            .where(
                AuthoringJob.id == job_id,
                AuthoringJob.status == "running",
                AuthoringJob.lease_owner.is_(None) if owner is None else AuthoringJob.lease_owner == owner,
            )
            .values(lease_owner=None, **values)
            .execution_options(synchronize_session=False)
        )
        if db.execute(stmt).rowcount == 1:  # type: ignore[attr-defined]
            log.warning("generation job %s: lease ran out after attempt %d; %s", job_id, attempts,
                        "retrying" if retry else "failed")  # fmt: skip
            recovered += 1
            if retry:
                to_enqueue.append((org_id, job_id))
    db.commit()  # before enqueueing, so the worker finds the job queued
    for org_id, job_id in to_enqueue:
        enqueue(org_id, job_id)
    return recovered


def _requeue_unclaimed(runtime: Runtime, db: Session, *, enqueue: Callable[[str, str], None]) -> int:
    settings = runtime.settings.jobs
    now = runtime.clock.now()
    wait = timedelta(seconds=settings.requeue_seconds)
    stale = db.execute(
        select(AuthoringJob.id, AuthoringJob.org_id, AuthoringJob.lease_expires_at).where(
            AuthoringJob.status == "queued",
            or_(
                AuthoringJob.lease_expires_at < now,
                AuthoringJob.lease_expires_at.is_(None) & (AuthoringJob.created_at < now - wait),
            ),
        )
    ).all()
    to_enqueue: list[tuple[str, str]] = []
    for job_id, org_id, seen in stale:
        unchanged = (
            AuthoringJob.lease_expires_at.is_(None) if seen is None else AuthoringJob.lease_expires_at == seen
        )
        stmt = (
            update(AuthoringJob)
            .where(AuthoringJob.id == job_id, AuthoringJob.status == "queued", unchanged)
            .values(lease_expires_at=now + wait)
            .execution_options(synchronize_session=False)
        )
        if db.execute(stmt).rowcount == 1:  # type: ignore[attr-defined]
            to_enqueue.append((org_id, job_id))
    db.commit()
    for org_id, job_id in to_enqueue:
        enqueue(org_id, job_id)  # a duplicate message is harmless: only one claim can succeed
    return len(to_enqueue)
