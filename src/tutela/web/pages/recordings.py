"""Recording pages: follow a recording's transcription, read and correct its transcript beside a player,
then generate the module from it; and the recording itself for the players on these and the review page.

Every change goes through the REST routers' own functions (`/api/documents/{id}/transcript`,
`/api/modules`), so a page checks exactly what the API checks and writes the same audit entries.
"""

from __future__ import annotations

from typing import Any

from fastapi import BackgroundTasks, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tutela.authoring.generation.schemas import clock
from tutela.authoring.modules import router as modules_api
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.jobs import generate_job
from tutela.authoring.modules.schemas import GenerateRequest
from tutela.authoring.modules.settings import AuthoringSettings
from tutela.authoring.prompts import service as prompts
from tutela.authoring.recordings import router as recordings_api
from tutela.authoring.recordings import service as recordings
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.errors import TutelaError
from tutela.runtime import Runtime
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render, sentence

router = page_router()


def start(
    runtime: Runtime,
    db: Session,
    page: UserPage,
    *,
    filename: str,
    data: bytes,
    size: int,
    language: str,
    values: dict[str, str],
    background: BackgroundTasks,
) -> Response:
    """Store an uploaded recording and queue its transcription (as POST /api/documents); to its page."""
    principal = page.principal
    doc, job = recordings.upload(
        runtime,
        db,
        org_id=principal.org_id,
        user_id=principal.user_id,
        filename=filename,
        data=data,
        size=size,
        language=language,
        settings=AuthoringSettings(),
    )
    # The generation choices made on the upload form wait with the job for the transcript page.
    job.params = {
        **job.params,
        "template_id": values.get("template_id", ""),
        "instructions": values.get("instructions", ""),
    }
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="document.uploaded",
        target=f"document:{doc.id}",
        details={"kind": "recording"},
    )
    background.add_task(runtime.jobs.enqueue, generate_job, org_id=principal.org_id, job_id=job.id)
    return RedirectResponse(f"/author/recordings/{doc.id}", status_code=303)


def _context(runtime: Runtime, page: UserPage, document_id: str) -> dict[str, Any]:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        doc = recordings_api.managed(db, page.principal, document_id)
        read = recordings_api.transcript_read(runtime, db, doc)
        job = recordings.transcription_job(db, doc=doc)
        params = dict(job.params) if job is not None else {}
        templates = [
            (t.id, f"{t.name} (version {t.current_version})")
            for t in prompts.list_templates(db, org_id=org_id)
        ]
        filename, media_type = doc.filename, doc.media_type
    error = sentence(read.job.error.message) if read.job is not None and read.job.error else ""
    return {
        "title": f"Transcript: {filename}",
        "document_id": document_id,
        "filename": filename,
        "transcript": read,
        "video": media_type.startswith("video/"),
        "media_type": media_type,
        "segments": [(s, f"{clock(s.start)}–{clock(s.end)}") for s in read.segments],
        "error": error,
        "templates": [("", "No template: the organization's defaults"), *templates],
        "values": {
            "template_id": str(params.get("template_id", "")),
            "instructions": str(params.get("instructions", "")),
        },
        "errors": {},
    }


@router.get("/author/recordings/{document_id}")
def transcript_page(document_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The transcription's progress, then the transcript to correct beside the recording, and generation."""
    context = _context(runtime, page, document_id)
    context["notice"] = (
        "Your corrections were saved." if request.query_params.get("notice") == "saved" else ""
    )
    return render(request, "authoring/transcript.html", context)


@router.get("/author/recordings/{document_id}/progress")
def transcript_progress(
    document_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """The progress alone, for htmx polling; once the transcription has ended, the whole page reloads."""
    context = _context(runtime, page, document_id)
    headers = {"HX-Refresh": "true"} if context["transcript"].status != "transcribing" else {}
    return render(request, "authoring/_transcribing.html", context, headers=headers)


@router.post("/author/recordings/{document_id}/transcript")
def save_transcript(document_id: str, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Save the corrected text of every segment (as PUT /api/documents/{id}/transcript)."""
    count = int(text(form, "count") or 0)
    body = recordings_api.TranscriptCorrection.model_validate(
        {"segments": [{"text": text(form, f"segment-{i}")} for i in range(count)]}
    )
    with runtime.region_session(page.principal.org_id) as db:
        recordings_api.correct_transcript(document_id, body, page.principal, db, runtime)
    return RedirectResponse(f"/author/recordings/{document_id}?notice=saved#transcript", status_code=303)


@router.post("/author/recordings/{document_id}/generate")
def generate_from_transcript(
    document_id: str,
    request: Request,
    form: Form,
    page: UserPageDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> Response:
    """Generate the module from the transcript (as POST /api/modules)."""
    values = {"template_id": text(form, "template_id"), "instructions": text(form, "instructions")}
    try:
        body = GenerateRequest.model_validate(
            {
                "document_id": document_id,
                "template_id": values["template_id"] or None,
                "instructions": values["instructions"],
            }
        )
        with runtime.region_session(page.principal.org_id) as db:
            job = modules_api.generate(body, page.principal, db, runtime, background)
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields={"template_id", "instructions"})
        context = _context(runtime, page, document_id) | {"errors": errors, "values": values}
        return render(request, "authoring/transcript.html", context, status_code=status_code)
    return RedirectResponse(f"/author/jobs/{job.id}", status_code=303)


@router.get("/author/recordings/{document_id}/media")
def recording_media(document_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The recording for the page's players (as GET /api/documents/{id}/recording, byte ranges included)."""
    with runtime.region_session(page.principal.org_id) as db:
        return recordings_api.play_recording(document_id, request, page.principal, db, runtime)


def recording_of(db: Session, *, module_document_id: str | None, org_id: str) -> dict[str, Any] | None:
    """What the review page needs to play a module's recording: its URL and whether it is a video."""
    if module_document_id is None:
        return None
    doc = modules.get_document(db, org_id=org_id, document_id=module_document_id)
    if doc.kind != "recording" or doc.pdf_object_id is None:
        return None
    return {"url": f"/author/recordings/{doc.id}/media", "video": doc.media_type.startswith("video/")}
