"""Fine-tuning jobs of an AI resource, trained by the upstream of one of its deployments.

    create: the caller's training (and validation) file, read from `/v1/files` in the region, is uploaded
      to that deployment's upstream just in time, and the job is created there; if the upstream fails
      the uploaded files are deleted again and nothing is kept.
    retrieve / list / cancel: the job is refreshed from the upstream while it runs. Once it has ended the
      gateway deletes its files upstream, and a succeeded job's model becomes a deployment of the same AI
      resource (so only keys of that resource can call it; any other gets the usual 404).

Every upload and deletion upstream is written to the organization's audit log, naming the upstream: the
bytes go to the upstream the customer configured for that deployment and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tutela.core.organizations import service as organizations
from tutela.errors import NotFound
from tutela.gateway.access import Caller
from tutela.gateway.deployments import service as deployments
from tutela.gateway.files import service as files
from tutela.gateway.fine_tuning import upstream
from tutela.gateway.fine_tuning.models import FineTuningJob
from tutela.gateway.fine_tuning.requests import JobRequest
from tutela.gateway.fine_tuning.upstream import TERMINAL, Trainer, status_of
from tutela.gateway.providers.registry import ProviderRegistry
from tutela.gateway.providers.upstream import LazyUpstream, UpstreamClient
from tutela.gateway.wire.exceptions import (
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    UpstreamResponseError,
)
from tutela.runtime import Runtime
from tutela.storage.db import is_valid_id
from tutela.storage.tenancy import scoped

log = logging.getLogger(__name__)

ID_PREFIX = "ftjob-"
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def public_id(job: FineTuningJob) -> str:
    """The id clients see, OpenAI style: `ftjob-<id>`."""
    return ID_PREFIX + job.id


def _actor(caller: Caller) -> str:
    return f"api-key:{caller.key_id}"


def _not_found(job_id: str) -> NotFoundError:
    return NotFoundError(
        f"No such fine-tuning job: {job_id[:80]}", param="fine_tuning_job_id", code="not_found"
    )


def _job(db: Session, caller: Caller, job_id: str) -> FineTuningJob:
    raw = job_id.removeprefix(ID_PREFIX)
    found = None
    if is_valid_id(raw):
        stmt = scoped(FineTuningJob, caller.org_id).where(
            FineTuningJob.id == raw, FineTuningJob.resource_id == caller.resource_id
        )
        found = db.scalars(stmt).one_or_none()
    if found is None:
        raise _not_found(job_id)
    return found


def model_name(job: FineTuningJob) -> str:
    """The deployment a succeeded job's model becomes: `ft:<deployment>[:<suffix>]:<job>`."""
    suffix = _NAME_UNSAFE.sub("-", str(job.options.get("suffix") or ""))[:16].strip("-")
    parts = ["ft", job.model[:32], *([suffix] if suffix else []), job.id[:8]]
    return ":".join(parts)


@dataclass(frozen=True)
class _Upload:
    file_id: str
    filename: str
    data: bytes


class FineTuning:
    """Creates and follows jobs over one pooled HTTP client."""

    def __init__(self, runtime: Runtime, registry: ProviderRegistry) -> None:
        self.runtime = runtime
        self.registry = registry
        self._http = LazyUpstream(max_connections=20)

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        await self._http.close()

    async def _client(self) -> UpstreamClient:
        return await self._http.get()

    # -- reading and writing rows (off the event loop) ---------------------------------------------------

    def _trainer(self, db: Session, job: FineTuningJob) -> Trainer | None:
        if job.deployment_id is None:
            return None
        try:
            row = deployments.get(db, org_id=job.org_id, deployment_id=job.deployment_id)
        except NotFound:
            return None
        return upstream.trainer(self.registry, deployments.config(self.runtime, db, row))

    def _prepare(self, caller: Caller, request: JobRequest) -> tuple[str, Trainer, list[_Upload]]:
        with self.runtime.region_session(caller.org_id) as db:
            try:
                row = deployments.find(
                    db, org_id=caller.org_id, resource_id=caller.resource_id, name=request.model
                )
            except NotFound as exc:
                raise NotFoundError(exc.message, param="model", code="model_not_found") from None
            trainer = upstream.trainer(self.registry, deployments.config(self.runtime, db, row))
            uploads = []
            for param, file_id in (
                ("training_file", request.training_file),
                ("validation_file", request.validation_file),
            ):
                if file_id is None:
                    continue
                try:
                    stored = files.get(
                        db, org_id=caller.org_id, resource_id=caller.resource_id, file_id=file_id
                    )
                except NotFound as exc:
                    raise NotFoundError(exc.message, param=param, code="file_not_found") from None
                if stored.purpose != "fine-tune":
                    raise InvalidRequestError(
                        f"The file {file_id} was uploaded for {stored.purpose!r}; fine-tuning needs a file "
                        "uploaded with purpose 'fine-tune'.",
                        param=param,
                    )
                data = files.content(self.runtime, db, row=stored)
                uploads.append(_Upload(file_id, stored.filename, data))
            job = FineTuningJob(
                org_id=caller.org_id,
                resource_id=caller.resource_id,
                deployment_id=row.id,
                model=request.model,
                training_file=request.training_file,
                validation_file=request.validation_file,
                options=request.options,
                upstream_files=[],
                status="validating_files",
            )
            db.add(job)
            db.flush()
            return job.id, trainer, uploads

    def _uploaded(
        self, caller: Caller, job_id: str, trainer: Trainer, sent: _Upload, upstream_id: str
    ) -> None:
        with self.runtime.region_session(caller.org_id) as db:
            job = db.get(FineTuningJob, job_id)
            assert job is not None
            job.upstream_files = [*job.upstream_files, upstream_id]
            organizations.record(
                self.runtime,
                db,
                org_id=caller.org_id,
                actor=_actor(caller),
                action="fine_tuning.file_uploaded_upstream",
                target=ID_PREFIX + job_id,
                details={
                    "file": sent.file_id,
                    "bytes": len(sent.data),
                    "upstream": trainer.host,
                    "upstream_file": upstream_id,
                },
            )

    def _deleted(self, org_id: str, actor: str, job_id: str, trainer: Trainer, upstream_id: str) -> None:
        with self.runtime.region_session(org_id) as db:
            job = db.get(FineTuningJob, job_id)
            if job is not None:
                job.upstream_files = [f for f in job.upstream_files if f != upstream_id]
            organizations.record(
                self.runtime,
                db,
                org_id=org_id,
                actor=actor,
                action="fine_tuning.file_deleted_upstream",
                target=ID_PREFIX + job_id,
                details={"upstream": trainer.host, "upstream_file": upstream_id},
            )

    def _started(self, org_id: str, job_id: str, upstream_job: str) -> None:
        """Remember the upstream's job first: whatever its answer holds, later polls can find it."""
        with self.runtime.region_session(org_id) as db:
            job = db.get(FineTuningJob, job_id)
            assert job is not None
            job.upstream_job_id = upstream_job

    def _apply(self, org_id: str, job_id: str, answer: dict[str, Any]) -> FineTuningJob:
        """Take the upstream's view of the job; a succeeded job's model becomes a deployment."""
        with self.runtime.region_session(org_id) as db:
            job = db.get(FineTuningJob, job_id)
            assert job is not None
            job.status = status_of(answer.get("status"))
            tokens = answer.get("trained_tokens")
            if isinstance(tokens, int):
                job.trained_tokens = tokens
            if isinstance(answer.get("fine_tuned_model"), str):
                job.upstream_model = answer["fine_tuned_model"][:200]
            if job.status == "failed":
                raw = answer.get("error")
                error: dict[str, Any] = raw if isinstance(raw, dict) else {}
                job.error = {
                    "code": str(error.get("code") or "upstream_job_failed"),
                    "message": str(error.get("message") or "The upstream reported that the job failed."),
                    "param": error.get("param") if isinstance(error.get("param"), str) else None,
                }
            if job.status in TERMINAL and job.finished_at is None:
                finished = answer.get("finished_at")
                job.finished_at = (
                    datetime.fromtimestamp(finished, UTC)
                    if isinstance(finished, int)
                    else self.runtime.clock.now()
                )
            if job.status == "succeeded" and job.upstream_model and job.fine_tuned_model is None:
                self._deploy(db, job)
            db.flush()
            db.expunge(job)
            return job

    def _deploy(self, db: Session, job: FineTuningJob) -> None:
        assert job.deployment_id is not None
        assert job.upstream_model is not None
        base = deployments.get(db, org_id=job.org_id, deployment_id=job.deployment_id)
        key = deployments.config(self.runtime, db, base).options.get("api_key")
        options = {
            k: v for k, v in base.options.items() if k not in ("base_url", "endpoint", "model", "deployment")
        }
        name = model_name(job)
        deployments.create(
            self.runtime,
            db,
            registry=self.registry,
            org_id=job.org_id,
            resource_id=job.resource_id,
            name=name,
            provider=base.provider,
            model=job.upstream_model,
            base_url=base.options.get("base_url") or base.options.get("endpoint"),
            api_key=str(key) if key else None,
            extra_options=options,
        )
        job.fine_tuned_model = name
        organizations.record(
            self.runtime,
            db,
            org_id=job.org_id,
            actor="system:fine-tuning",
            action="fine_tuning.model_deployed",
            target=ID_PREFIX + job.id,
            details={"deployment": name, "upstream_model": job.upstream_model},
        )

    def _forget(self, org_id: str, job_id: str) -> None:
        with self.runtime.region_session(org_id) as db:
            job = db.get(FineTuningJob, job_id)
            if job is not None:
                db.delete(job)

    # -- the API's operations --------------------------------------------------------------------------

    async def create(self, caller: Caller, request: JobRequest) -> FineTuningJob:
        """Upload the files upstream, create the job there, and keep its row."""
        job_id, trainer, uploads = await asyncio.to_thread(self._prepare, caller, request)
        http = await self._client()
        sent: list[str] = []
        try:
            for item in uploads:
                upstream_id = await trainer.upload(http, filename=item.filename, data=item.data)
                sent.append(upstream_id)
                await asyncio.to_thread(self._uploaded, caller, job_id, trainer, item, upstream_id)
            body = {"model": trainer.base_model, "training_file": sent[0], **request.options}
            if len(sent) > 1:
                body["validation_file"] = sent[1]
            answer = await trainer.create(http, body)
            upstream_job = answer.get("id")
            if not isinstance(upstream_job, str) or not upstream_job:
                raise UpstreamResponseError(
                    "The upstream's new job had no id."
                )  # caught below, files cleaned
        except GatewayError:
            await self._clean_up(caller.org_id, _actor(caller), job_id, trainer, sent)
            await asyncio.to_thread(self._forget, caller.org_id, job_id)
            raise
        await asyncio.to_thread(self._started, caller.org_id, job_id, upstream_job)
        job = await asyncio.to_thread(self._apply, caller.org_id, job_id, answer)
        return await self._settled(job, trainer)

    async def _clean_up(
        self, org_id: str, actor: str, job_id: str, trainer: Trainer, upstream_files: list[str]
    ) -> None:
        """Delete the job's files upstream; a file the upstream no longer has counts as deleted."""
        http = await self._client()
        for upstream_id in upstream_files:
            try:
                await trainer.delete_file(http, upstream_id)
            except GatewayError as exc:
                if exc.code != "upstream_model_not_found":  # a 404: already gone
                    log.warning(
                        "could not delete fine-tuning file upstream (%s); retried on next poll", exc.message
                    )
                    continue
            await asyncio.to_thread(self._deleted, org_id, actor, job_id, trainer, upstream_id)

    async def _settled(self, job: FineTuningJob, trainer: Trainer | None) -> FineTuningJob:
        """Once the job has ended, delete what is left of its files upstream."""
        if job.status in TERMINAL and job.upstream_files and trainer is not None:
            await self._clean_up(job.org_id, "system:fine-tuning", job.id, trainer, list(job.upstream_files))
            job = await asyncio.to_thread(self._load, job.org_id, job.id)
        return job

    def _load(self, org_id: str, job_id: str) -> FineTuningJob:
        with self.runtime.region_session(org_id) as db:
            job = db.get(FineTuningJob, job_id)
            assert job is not None
            db.expunge(job)
            return job

    def _found(self, caller: Caller, job_id: str) -> tuple[FineTuningJob, Trainer | None]:
        with self.runtime.region_session(caller.org_id) as db:
            job = _job(db, caller, job_id)
            trainer = self._trainer(db, job)
            db.expunge(job)
            return job, trainer

    async def refresh(self, job: FineTuningJob, trainer: Trainer | None) -> FineTuningJob:
        """The job as the upstream sees it now (unchanged once it has ended or lost its deployment)."""
        if trainer is None or job.upstream_job_id is None:
            return job
        if job.status not in TERMINAL:
            answer = await trainer.job(await self._client(), job.upstream_job_id)
            job = await asyncio.to_thread(self._apply, job.org_id, job.id, answer)
        return await self._settled(job, trainer)

    async def retrieve(self, caller: Caller, job_id: str) -> FineTuningJob:
        """One job of the caller's resource, refreshed; the upstream's failure is the caller's error."""
        job, trainer = await asyncio.to_thread(self._found, caller, job_id)
        return await self.refresh(job, trainer)

    async def list_jobs(
        self, caller: Caller, *, limit: int, after: str | None
    ) -> tuple[list[FineTuningJob], bool]:
        """The resource's jobs, newest first, those still running refreshed (an unreachable upstream leaves
        a job at its last known status); and whether there are more."""

        def read() -> list[tuple[FineTuningJob, Trainer | None]]:
            with self.runtime.region_session(caller.org_id) as db:
                stmt = scoped(FineTuningJob, caller.org_id).where(
                    FineTuningJob.resource_id == caller.resource_id
                )
                if after is not None:
                    anchor = _job(db, caller, after)
                    stmt = stmt.where(
                        (FineTuningJob.created_at < anchor.created_at)
                        | ((FineTuningJob.created_at == anchor.created_at) & (FineTuningJob.id > anchor.id))
                    )
                rows = list(
                    db.scalars(
                        stmt.order_by(FineTuningJob.created_at.desc(), FineTuningJob.id).limit(limit + 1)
                    )
                )
                out = [
                    (
                        job,
                        self._trainer(db, job) if job.status not in TERMINAL or job.upstream_files else None,
                    )
                    for job in rows
                ]
                for job, _ in out:
                    db.expunge(job)
                return out

        rows = await asyncio.to_thread(read)
        jobs = []
        for job, trainer in rows[:limit]:
            try:
                jobs.append(await self.refresh(job, trainer))
            except GatewayError as exc:
                log.warning("fine-tuning job %s not refreshed: %s", job.id, exc.message)
                jobs.append(job)
        return jobs, len(rows) > limit

    async def cancel(self, caller: Caller, job_id: str) -> FineTuningJob:
        """Cancel a job that has not ended."""
        job, trainer = await asyncio.to_thread(self._found, caller, job_id)
        job = await self.refresh(job, trainer)
        if job.status in TERMINAL:
            raise InvalidRequestError(
                f"The job has already ended ({job.status}); it cannot be cancelled.",
                param="fine_tuning_job_id",
            )
        if trainer is None or job.upstream_job_id is None:
            raise InvalidRequestError(
                "The deployment that trains this job was deleted; the job cannot be reached to cancel it.",
                param="fine_tuning_job_id",
            )
        answer = await trainer.cancel(await self._client(), job.upstream_job_id)
        job = await asyncio.to_thread(self._apply, job.org_id, job.id, answer)
        return await self._settled(job, trainer)

    async def listing(
        self, caller: Caller, job_id: str, what: str, params: dict[str, str]
    ) -> tuple[list[dict[str, Any]], bool]:
        """The job's `events` or `checkpoints` from the upstream (none once its deployment is gone)."""
        job, trainer = await asyncio.to_thread(self._found, caller, job_id)
        if trainer is None or job.upstream_job_id is None:
            return [], False
        return await trainer.listing(await self._client(), job.upstream_job_id, what, params)
