"""The generation job: an extracted document in, a draft module with its check report out. The same job
runs a recording's transcription (kind "transcribe", recordings/transcribe.py), so both share leases and
recovery.

Progress (stage and percentage) is written to the job row as the pipeline reports it, at most once per
percent, so the API and UI can follow it. The job holds a lease while it runs (leases.py): if its process
dies, another process retries it from the start or fails it with a message, and it never makes two modules.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from tutela.authoring.generation.combined import Combined
from tutela.authoring.generation.pipeline import generate_module
from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.library import service as library_sources
from tutela.authoring.modules import leases, service
from tutela.authoring.modules.models import AuthoringJob
from tutela.authoring.modules.regenerate import run_with_gateway
from tutela.authoring.prompts import service as prompts
from tutela.authoring.recordings.service import TRANSCRIBE
from tutela.authoring.recordings.transcribe import run_transcription
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound, TutelaError
from tutela.runtime import Runtime
from tutela.storage.db import utcnow
from tutela.storage.jobs import job, recovery, report_failure
from tutela.storage.tenancy import get_owned

log = logging.getLogger("tutela.authoring.jobs")


QUESTIONS_PERMISSION = Permission.GENERATE_QUESTIONS.value


def _job(db: Any, org_id: str, job_id: str) -> AuthoringJob:
    return get_owned(db, AuthoringJob, job_id, org_id=org_id, what="job")


@job
def generate_job(runtime: Runtime, *, org_id: str, job_id: str) -> str | None:
    """Generate a module for a queued job (or transcribe a recording); returns the module id (None when it
    failed, is not ours, or was a transcription)."""
    lease = leases.claim(runtime, org_id=org_id, job_id=job_id)
    if lease is None:
        return None  # another worker has it, or it ended: a message enqueued twice runs once
    try:
        with runtime.region_session(org_id) as db:
            kind = _job(db, org_id, job_id).kind
        if kind == TRANSCRIBE:
            run_transcription(runtime, lease)
            return None
        return _generate(runtime, lease)
    except leases.LeaseLost:
        log.warning("generation job %s: taken over after its lease ran out; this attempt stops", job_id)
        report_failure("lease_lost")
    except TutelaError as exc:
        report_failure(exc.code)
        _fail(lease, code=exc.code, message=exc.message)
    except Exception:
        log.exception("generation job %s failed", job_id)
        report_failure("internal_error")
        _fail(
            lease,
            code="internal_error",
            message="generation failed unexpectedly; quote the job id to your operator",
        )
    return None


@recovery
def recover_generation_jobs(runtime: Runtime) -> int:
    """Retry or fail the generation jobs of workers that died (called by every job-running process)."""

    def enqueue(org_id: str, job_id: str) -> None:
        runtime.jobs.enqueue(generate_job, org_id=org_id, job_id=job_id)

    return leases.recover(runtime, enqueue=enqueue)


def _fail(lease: leases.Lease, *, code: str, message: str) -> None:
    # Not ours any more, or deleted meanwhile with its module or document: nothing to record.
    with contextlib.suppress(NotFound, leases.LeaseLost):
        lease.renew(
            status="failed", error_code=code[:64], error_message=message[:1000], finished_at=utcnow(),
            lease_owner=None, lease_expires_at=None,
        )  # fmt: skip


@contextlib.contextmanager
def _pages_named(combined: Combined | None) -> Iterator[None]:
    """A failure's message names the pages of the documents, not of the combined source."""
    try:
        yield
    except TutelaError as exc:
        if combined is not None:
            exc.message = combined.name_pages(exc.message)
        raise


def _generate(runtime: Runtime, lease: leases.Lease) -> str:
    org_id, job_id = lease.org_id, lease.job_id
    with runtime.region_session(org_id) as db:
        row = _job(db, org_id, job_id)
        params = dict(row.params)
        user_id = row.created_by
        doc = service.get_document(db, org_id=org_id, document_id=row.document_id or "")
        several = [str(d) for d in params.get("documents", [])]
        combined = (
            library_sources.sources_for(runtime, db, org_id=org_id, document_ids=several) if several else None
        )
        extraction = service.read_extraction(runtime, db, doc=doc)
        version = None
        if params.get("template_version_id"):
            version = prompts.get_version(db, org_id=org_id, version_id=str(params["template_version_id"]))
        instructions = prompts.instructions_of(version, str(params.get("instructions", "")))
        wanted_types = list(version.question_types) if version is not None else []
        template = (version.template_id, version.version) if version is not None else (None, None)
        deployment = str(params["deployment"])
        with_questions = bool(params.get("questions", True))
        model = service.deployment_model(db, org_id=org_id, name=deployment)
    caller = library_sources.caller_for(runtime, org_id=org_id, user_id=user_id)
    last = [-1]

    def progress(stage: str, fraction: float) -> None:
        percent = max(1, min(99, int(fraction * 100)))  # the claim already shows 1%: never step back
        if percent != last[0]:
            last[0] = percent
            lease.renew(stage=stage, percent=percent)  # LeaseLost stops a worker that is not the owner

    left_out: list[str] = []
    with lease.kept(), _pages_named(combined):  # a heartbeat renews the lease between progress writes
        content: ModuleContent = run_with_gateway(
            runtime,
            lambda gateway: generate_module(
                gateway=gateway,
                caller=caller,
                document=combined.document if combined else extraction,
                deployment=deployment,
                instructions=instructions,
                progress=progress,
                left_out=left_out,
                question_types=wanted_types,
                with_questions=with_questions,
            ),
        )
    if combined is not None:
        content = combined.cite(content)
        left_out = [combined.name_pages(note) for note in left_out]
    if not with_questions:
        left_out.append(f"No questions were written: whoever started the job lacks {QUESTIONS_PERMISSION!r}.")
    with runtime.region_session(org_id) as db:
        # Written first: the row stays locked, so no one can take the job over until this commits, and the
        # module is rolled back with the job if the lease is no longer ours.
        lease.write(db, stage="checks", percent=99)
        row = _job(db, org_id, job_id)
        doc = service.get_document(db, org_id=org_id, document_id=row.document_id or "")
        module = service.create_module(
            runtime,
            db,
            org_id=org_id,
            user_id=user_id,
            doc=doc,
            content=content,
            extraction=extraction,
            deployment=deployment,
            model=model,
            template_id=template[0],
            template_version=template[1],
            job_id=job_id,
            sources=several,
        )
        lease.finish(
            db, module_id=module.id, warnings=left_out, status="succeeded", stage="done", percent=100,
            finished_at=utcnow(),
        )  # fmt: skip
        return module.id
