"""Authoring pages: the author's modules, upload a PDF (or a recording, see recordings.py) and follow its
generation. Reviewing a draft is in module_review.py, changing it in module_edits.py.

Every change goes through the REST routers' own functions (`/api/documents`, `/api/modules`), so a page
checks exactly what the API checks and writes the same audit entries.
"""

from __future__ import annotations

from typing import Any

from fastapi import BackgroundTasks, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tutela.authoring.ingest.audio import is_pdf
from tutela.authoring.ingest.exceptions import clock as clock_words
from tutela.authoring.library import service as library_sources
from tutela.authoring.modules import router as modules_api
from tutela.authoring.modules import service as modules
from tutela.authoring.modules import settings as authoring_settings
from tutela.authoring.modules.schemas import GenerateRequest
from tutela.authoring.prompts import service as prompts
from tutela.authoring.recordings import speech
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound, PermissionDenied, TutelaError
from tutela.runtime import Runtime
from tutela.web.pages import recordings as recordings_page
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render, sentence

router = page_router()

STATE_LABELS = {"draft": "Draft", "in_review": "In review", "published": "Published", "archived": "Archived"}
STAGE_LABELS = {
    "queued": "Waiting to start",
    "reading": "Reading the document",
    "outline": "Planning the chapters",
    "lessons": "Writing the lessons",
    "questions": "Writing the questions",
    "summary": "Writing the summary",
    "checks": "Checking against the source",
    "done": "Done",
}


def require_author_pages(page: UserPage) -> None:
    if not (page.may(Permission.GENERATE_MODULES.value) or page.may(Permission.REVIEW_PUBLISH.value)):
        raise PermissionDenied(
            "your roles include neither 'ai.generate_modules' nor 'content.review_publish'"
        )


def _htmx_fragment(request: Request) -> bool:
    return bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")


# --- module list --------------------------------------------------------------------------------------


@router.get("/author")
def modules_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The modules the author works on, by state (as GET /api/modules)."""
    require_author_pages(page)
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        found = modules.list_modules(db, org_id=org_id, who=who)
        rows = [{"id": m.id, "title": m.title, "state": m.state, "updated_at": m.updated_at} for m in found]
    by_state = {state: [r for r in rows if r["state"] == state] for state in STATE_LABELS}
    context = {"title": "Authoring", "by_state": by_state, "state_labels": STATE_LABELS}
    return render(request, "authoring/modules.html", context)


# --- upload and generation ----------------------------------------------------------------------------


def _new_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.GENERATE_MODULES
        )
        org = organizations.get(db, org_id=org_id)
        who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        library = [
            (d.id, title, d.filename)
            for d, title in library_sources.library_choices(db, org_id=org_id, who=who)
        ]
        speech_hint = speech.hint(db, org_id=org_id)
        templates = [
            (t.id, f"{t.name} (version {t.current_version})")
            for t in prompts.list_templates(db, org_id=org_id)
        ]
    context: dict[str, Any] = {
        "title": "New module",
        "ai_enabled": org.ai_enabled,
        "templates": [("", "No template: the organization's defaults"), *templates],
        "max_mb": authoring_settings.current().max_upload_bytes // 1_000_000,
        "max_hours": clock_words(authoring_settings.current().max_recording_seconds),
        "languages": list(speech.SPOKEN_LANGUAGES),
        "speech_hint": speech_hint,
        "errors": errors or {},
        "values": values or {},
        "library": library,
        "chosen": chosen or [],
    }
    return render(request, "authoring/new.html", context, status_code=status_code)


@router.get("/author/new")
def new_module_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Upload a PDF and choose how to generate from it; says so when AI features are off."""
    return _new_page(request, runtime, page)


@router.post("/author/new")
def upload_and_generate(
    request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep, background: BackgroundTasks
) -> Response:
    """Upload the PDF (as POST /api/documents) and start generating (as POST /api/modules), from it and the
    library documents ticked, or from those alone; a recording is transcribed first (recordings.py)."""
    values = {"template_id": text(form, "template_id"), "instructions": text(form, "instructions")}
    values["language"] = text(form, "language") or "en"
    chosen = [v for v in form.getlist("documents") if isinstance(v, str) and v]
    upload = form.get("file")
    password = form.get("password")
    org_id = page.principal.org_id
    principal = page.principal
    errors: dict[str, str] = {}
    status_code = 422
    try:
        with runtime.region_session(org_id) as db:
            who = modules.viewer(db, org_id=org_id, user_id=principal.user_id)
            # Refused before reading the file when AI is off or the matrix does not allow it.
            modules.check_generation_allowed(
                db, org_id=org_id, user_id=who.user_id, permission=Permission.GENERATE_MODULES
            )
            has_file = isinstance(upload, UploadFile) and bool(upload.filename)
            if not has_file and not chosen:
                errors["file"] = "Choose a PDF file or a recording to upload."
                if library_sources.library_choices(db, org_id=org_id, who=who):
                    errors["file"] = (
                        "Choose a PDF file or a recording to upload, or documents of the AI library."
                    )
                raise _FormProblem
            # With a file, the upload's id takes the place of "pending" once it is stored.
            body = GenerateRequest.model_validate(
                {
                    "document_ids": ["pending", *chosen] if has_file else chosen,
                    "template_id": values["template_id"] or None,
                    "instructions": values["instructions"],
                }
            )
            # Documents the author may not see are refused before the file is read.
            modules.generation_sources(db, org_id=org_id, who=who, document_ids=chosen)
            if isinstance(upload, UploadFile) and upload.filename:
                limit = authoring_settings.current().max_upload_bytes
                data = upload.file.read(limit + 1)
                if not is_pdf(data):
                    if chosen:
                        errors["documents"] = (
                            "A recording is transcribed before anything is written from it: upload it alone, "
                            "or untick the documents of the AI library."
                        )
                        raise _FormProblem
                    if values["language"] not in dict(speech.SPOKEN_LANGUAGES):
                        errors["language"] = "Choose the language spoken in the recording."
                        raise _FormProblem
                    return recordings_page.start(
                        runtime,
                        db,
                        page,
                        filename=upload.filename,
                        data=data,
                        size=max(upload.size or 0, len(data)),
                        language=values["language"],
                        values=values,
                        background=background,
                    )
                uploaded = _upload(runtime, db, page, upload, data, password)
                body = body.model_copy(update={"document_ids": [uploaded, *chosen]})
            job = modules_api.generate(body, principal, db, runtime, background)
    except _FormProblem:
        pass
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields={"file", "password", "template_id", "language"})
        if isinstance(exc, TutelaError) and "template" in exc.message:
            errors = {"template_id": sentence(exc.message)}
        elif isinstance(exc, NotFound):  # a ticked document went away, or was never the author's to see
            errors = {"documents": "One of the documents you chose is no longer available to you."}
    else:
        # The job is enqueued by the background task once this response is sent (as the REST router does).
        return RedirectResponse(f"/author/jobs/{job.id}", status_code=303)
    return _new_page(
        request, runtime, page, errors=errors, values=values, chosen=chosen, status_code=status_code
    )


def _upload(
    runtime: Runtime, db: Session, page: UserPage, upload: UploadFile, data: bytes, password: object
) -> str:
    """Store the uploaded PDF (as POST /api/documents) and return its id."""
    principal, org_id = page.principal, page.principal.org_id
    doc = modules.upload(
        runtime,
        db,
        org_id=org_id,
        user_id=principal.user_id,
        filename=upload.filename or "",
        data=data,
        size=max(upload.size or 0, len(data)),
        password=password if isinstance(password, str) and password else None,
        max_bytes=authoring_settings.current().max_upload_bytes,
    )
    organizations.record(
        runtime,
        db,
        org_id=org_id,
        actor=principal.actor,
        action="document.uploaded",
        target=f"document:{doc.id}",
        details={"pages": doc.page_count},
    )
    return doc.id


class _FormProblem(Exception):
    """A problem already written into the form's errors."""


def _job_context(runtime: Runtime, page: UserPage, job_id: str) -> dict[str, Any]:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        job = modules_api.job_read(modules.get_job(db, org_id=org_id, who=who, job_id=job_id))
    stage = STAGE_LABELS.get(job.stage, job.stage.replace("_", " ").capitalize())
    error = sentence(job.error.message) if job.error else ""
    return {"title": "Generating a module", "job": job, "stage": stage, "error": error}


@router.get("/author/jobs/{job_id}")
def job_page(job_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """A generation's progress (as GET /api/modules/jobs/{id}); htmx refreshes the bar every second."""
    return render(request, "authoring/job.html", _job_context(runtime, page, job_id))


@router.get("/author/jobs/{job_id}/progress")
def job_progress(job_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The progress bar alone, for htmx polling."""
    return render(request, "authoring/_progress.html", _job_context(runtime, page, job_id))
