"""The generation job: an extracted document in, a draft module with its check report out.

Progress (stage and percentage) is written to the job row as the pipeline reports it, at most once per
percent, so the API and UI can follow it.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from tutela.authoring.generation.pipeline import generate_module
from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.modules import service
from tutela.authoring.modules.models import AuthoringJob
from tutela.authoring.modules.regenerate import run_with_gateway
from tutela.authoring.prompts import service as prompts
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound, TutelaError
from tutela.gateway.access import caller_for_org
from tutela.runtime import Runtime
from tutela.storage.db import utcnow
from tutela.storage.jobs import job
from tutela.storage.tenancy import get_owned

log = logging.getLogger("tutela.authoring.jobs")


QUESTIONS_PERMISSION = Permission.GENERATE_QUESTIONS.value


def _job(db: Any, org_id: str, job_id: str) -> AuthoringJob:
    return get_owned(db, AuthoringJob, job_id, org_id=org_id, what="job")


def _update(runtime: Runtime, org_id: str, job_id: str, **values: Any) -> None:
    with runtime.region_session(org_id) as db:
        row = _job(db, org_id, job_id)
        for name, value in values.items():
            setattr(row, name, value)


@job
def generate_job(runtime: Runtime, *, org_id: str, job_id: str) -> str | None:
    """Generate a module for a queued job; returns the module id (None when it failed)."""
    try:
        return _generate(runtime, org_id=org_id, job_id=job_id)
    except TutelaError as exc:
        _fail(runtime, org_id, job_id, code=exc.code, message=exc.message)
    except Exception:
        log.exception("generation job %s failed", job_id)
        _fail(
            runtime,
            org_id,
            job_id,
            code="internal_error",
            message="generation failed unexpectedly; quote the job id to your operator",
        )
    return None


def _fail(runtime: Runtime, org_id: str, job_id: str, *, code: str, message: str) -> None:
    with contextlib.suppress(NotFound):  # the job was deleted meanwhile, with its module or document
        _update(
            runtime,
            org_id,
            job_id,
            status="failed",
            error_code=code[:64],
            error_message=message[:1000],
            finished_at=utcnow(),
        )


def _generate(runtime: Runtime, *, org_id: str, job_id: str) -> str:
    with runtime.region_session(org_id) as db:
        row = _job(db, org_id, job_id)
        row.status, row.stage, row.percent = "running", "reading", 1
        params = dict(row.params)
        user_id = row.created_by
        doc = service.get_document(db, org_id=org_id, document_id=row.document_id or "")
        extraction = service.read_extraction(runtime, db, doc=doc)
        version = None
        if params.get("template_version_id"):
            version = prompts.get_version(db, org_id=org_id, version_id=str(params["template_version_id"]))
        instructions = prompts.instructions_of(version, str(params.get("instructions", "")))
        wanted_types = set(version.question_types) if version is not None else set()
        template = (version.template_id, version.version) if version is not None else (None, None)
        deployment = str(params["deployment"])
        with_questions = bool(params.get("questions", True))
        model = service.deployment_model(db, org_id=org_id, name=deployment)
    caller = caller_for_org(runtime, org_id)
    last = [-1]

    def progress(stage: str, fraction: float) -> None:
        percent = min(99, int(fraction * 100))
        if percent != last[0]:
            last[0] = percent
            _update(runtime, org_id, job_id, stage=stage, percent=percent)

    left_out: list[str] = []
    content: ModuleContent = run_with_gateway(
        runtime,
        lambda gateway: generate_module(
            gateway=gateway,
            caller=caller,
            document=extraction,
            deployment=deployment,
            instructions=instructions,
            progress=progress,
            left_out=left_out,
            with_questions=with_questions,
        ),
    )
    if not with_questions:
        left_out.append(f"No questions were written: whoever started the job lacks {QUESTIONS_PERMISSION!r}.")
    if wanted_types:
        kept = [q for q in content.questions if q.type in wanted_types]
        content = content.model_copy(update={"questions": kept})
    with runtime.region_session(org_id) as db:
        row = _job(db, org_id, job_id)
        row.stage, row.percent = "checks", 99
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
        )
        row.module_id = module.id
        row.warnings = left_out
        row.status, row.stage, row.percent, row.finished_at = "succeeded", "done", 100, utcnow()
        return module.id
