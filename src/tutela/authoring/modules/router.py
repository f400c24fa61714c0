"""Source documents and modules over REST: `/api/documents`, `/api/modules`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Form, Query, Response, UploadFile, status
from sqlalchemy.orm import Session

from tutela.authoring import exports
from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.generation.schemas import ModuleChapter, Question
from tutela.authoring.ingest.audio import is_pdf
from tutela.authoring.modules import export, items, service, settings
from tutela.authoring.modules.jobs import generate_job
from tutela.authoring.modules.models import AuthoringJob, Module, SourceDocument
from tutela.authoring.modules.schemas import (
    DocumentRead,
    GenerateRequest,
    JobError,
    JobRead,
    ModulePatch,
    ModuleRead,
    ModuleSummary,
    ReportRead,
    State,
)
from tutela.authoring.recordings import service as recordings
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.auth.principal import UserPrincipal
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound
from tutela.runtime import Runtime

documents_router = APIRouter(prefix="/api/documents", tags=["authoring"])
router = APIRouter(prefix="/api/modules", tags=["authoring"])


def viewer_of(db: Session, principal: UserPrincipal) -> service.Viewer:
    return service.viewer(db, org_id=principal.org_id, user_id=principal.user_id)


def audit(
    runtime: Runtime, db: Session, principal: UserPrincipal, action: str, target: str, **details: Any
) -> None:
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action=action,
        target=target,
        details=details,
    )


def _document_read(doc: SourceDocument, *, job_id: str | None = None) -> DocumentRead:
    return DocumentRead(
        id=doc.id,
        filename=doc.filename,
        size=doc.size,
        page_count=doc.page_count,
        language=doc.language,
        headings_source=doc.headings_source,
        uploaded_by=doc.uploaded_by,
        has_pdf=doc.pdf_object_id is not None,
        created_at=doc.created_at,
        kind="recording" if doc.kind == "recording" else "pdf",
        media_type=doc.media_type,
        duration_seconds=doc.duration_seconds,
        transcription_job_id=job_id,
    )


def pdf_response(doc: SourceDocument, data: bytes) -> Response:
    """The uploaded file (PDF or recording) as a download."""
    fallback = "source.pdf" if doc.kind != "recording" else "recording"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(doc.filename)}"
    return Response(
        content=data,
        media_type=doc.media_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )


def _one(document_id: str | None) -> list[str]:
    return [document_id] if document_id else []


def job_read(job: AuthoringJob) -> JobRead:
    """A job as the progress endpoint shows it."""
    error = JobError(code=job.error_code, message=job.error_message or "") if job.error_code else None
    return JobRead(
        id=job.id,
        kind=job.kind,
        status=job.status,
        stage=job.stage,
        percent=job.percent,
        document_id=job.document_id,
        document_ids=[str(d) for d in job.params.get("documents", [])] or _one(job.document_id),
        module_id=job.module_id,
        error=error,
        warnings=list(job.warnings or []),
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def learner_view(content: ModuleContent) -> dict[str, Any]:
    """module.json without the answer key, for those who take the quiz."""
    data = content.model_dump(mode="json")
    for question in data["questions"]:
        question.pop("answer", None)
        question.pop("explanation", None)
    return data


def module_read(runtime: Runtime, db: Session, *, module: Module, who: service.Viewer) -> ModuleRead:
    """A module with its content (the learner view for learners) and workflow data."""
    content = service.read_content(runtime, db, module=module)
    staff = service.is_staff_for(who, module)
    doc = (
        service.get_document(db, org_id=module.org_id, document_id=module.document_id)
        if module.document_id
        else None
    )
    try:
        checks_passed: bool | None = service.report_row(db, module=module).passed
    except NotFound:
        checks_passed = None
    return ModuleRead(
        id=module.id,
        title=module.title,
        language=module.language,
        state=module.state,
        created_by=module.created_by,
        created_at=module.created_at,
        updated_at=module.updated_at,
        published_at=module.published_at,
        document_id=module.document_id if staff else None,
        document_ids=(service.module_source_ids(db, module=module) or _one(module.document_id))
        if staff
        else [],
        template_id=module.template_id,
        template_version=module.template_version,
        deployment=module.deployment,
        model=module.model,
        attach_source=module.attach_source,
        attachment_available=module.attach_source and doc is not None and doc.pdf_object_id is not None,
        group_ids=service.module_groups(db, org_id=module.org_id, module_id=module.id) if staff else [],
        checks_passed=checks_passed,
        pass_mark=module.pass_mark,
        quiz_mode=module.quiz_mode,
        override_reason=module.override_reason if staff else None,
        content=content.model_dump(mode="json") if staff else learner_view(content),
    )


# --- documents --------------------------------------------------------------------------------------


@documents_router.post("", response_model=DocumentRead, status_code=status.HTTP_201_CREATED)
def upload_document(
    file: UploadFile,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    background: BackgroundTasks,
    password: Annotated[str | None, Form(max_length=1000)] = None,
    language: Annotated[str | None, Form(pattern=r"^[a-z]{2}$")] = None,
) -> DocumentRead:
    """Upload a PDF (multipart field `file`, optional `password`) or a recording (wav, mp3, m4a, ogg, webm,
    mp4; optional `language`, ISO 639-1, default "en"): read in a sandbox with time and memory limits and
    stored encrypted. A PDF is extracted at once; a recording is queued for transcription (follow
    `transcription_job_id`), refused (403 ai_disabled) while the organization has AI switched off. A file
    ingest refuses gets a 4xx with ingest's reason."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.GENERATE_MODULES
    )
    current = settings.current()
    limit = current.max_upload_bytes
    data = file.file.read(limit + 1)
    size = max(file.size or 0, len(data))
    if not is_pdf(data):
        doc, job = recordings.upload(
            runtime,
            db,
            org_id=principal.org_id,
            user_id=principal.user_id,
            filename=file.filename or "recording",
            data=data,
            size=size,
            language=language or "en",
            settings=current,
        )
        audit(runtime, db, principal, "document.uploaded", f"document:{doc.id}", kind="recording")
        background.add_task(runtime.jobs.enqueue, generate_job, org_id=principal.org_id, job_id=job.id)
        return _document_read(doc, job_id=job.id)
    doc = service.upload(
        runtime,
        db,
        org_id=principal.org_id,
        user_id=principal.user_id,
        filename=file.filename or "document.pdf",
        data=data,
        size=size,
        password=password or None,
        max_bytes=limit,
    )
    audit(runtime, db, principal, "document.uploaded", f"document:{doc.id}", pages=doc.page_count)
    return _document_read(doc)


@documents_router.get("", response_model=list[DocumentRead])
def list_documents(principal: CurrentUser, db: RegionDB) -> list[DocumentRead]:
    """The caller's uploads (all uploads for admins)."""
    who = viewer_of(db, principal)
    return [_document_read(d) for d in service.list_documents(db, org_id=principal.org_id, who=who)]


@documents_router.get("/{document_id}", response_model=DocumentRead)
def read_document(document_id: str, principal: CurrentUser, db: RegionDB) -> DocumentRead:
    """One upload (its uploader or an admin)."""
    who = viewer_of(db, principal)
    doc = service.document_for(db, org_id=principal.org_id, who=who, document_id=document_id)
    job = recordings.transcription_job(db, doc=doc) if doc.kind == "recording" else None
    return _document_read(doc, job_id=job.id if job is not None else None)


@documents_router.get("/{document_id}/file", response_class=Response)
def download_document(
    document_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> Response:
    """The uploaded PDF, for those L5 names: its uploader and those who see a module made from it."""
    who = viewer_of(db, principal)
    doc = service.get_document(db, org_id=principal.org_id, document_id=document_id)
    if not service.pdf_visible(db, who=who, doc=doc):
        raise NotFound(f"document {document_id!r} not found")
    data = service.read_pdf(runtime, db, doc=doc)
    audit(runtime, db, principal, "document.downloaded", f"document:{doc.id}", bytes=len(data))
    return pdf_response(doc, data)


@documents_router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Delete an upload no module uses: its file and extraction are deleted and their keys destroyed."""
    who = viewer_of(db, principal)
    doc = service.document_for(db, org_id=principal.org_id, who=who, document_id=document_id)
    service.delete_document(runtime, db, doc=doc)
    audit(runtime, db, principal, "document.deleted", f"document:{document_id}")


# --- modules ----------------------------------------------------------------------------------------


@router.post("", response_model=JobRead, status_code=status.HTTP_202_ACCEPTED)
def generate(
    body: GenerateRequest,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> JobRead:
    """Start generating a draft module from an uploaded document; follow `GET /api/modules/jobs/{job_id}`."""
    who = viewer_of(db, principal)
    job = service.start_generation(
        db,
        org_id=principal.org_id,
        who=who,
        document_ids=body.sources,
        template_id=body.template_id,
        template_version=body.template_version,
        deployment=body.deployment,
        instructions=body.instructions,
    )
    audit(runtime, db, principal, "module.generation_started", f"job:{job.id}", documents=body.sources)
    # Enqueued once this request's transaction has committed, so the worker finds the job row.
    background.add_task(runtime.jobs.enqueue, generate_job, org_id=principal.org_id, job_id=job.id)
    return job_read(job)


@router.get("", response_model=list[ModuleSummary])
def list_modules(principal: CurrentUser, db: RegionDB, state: State | None = None) -> list[ModuleSummary]:
    """The modules the caller may see: learners get the published modules of their groups."""
    who = viewer_of(db, principal)
    found = service.list_modules(db, org_id=principal.org_id, who=who, state=state)
    return [ModuleSummary.model_validate(m) for m in found]


@router.get("/export", response_class=Response)
def export_modules(
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    format: Annotated[
        str,
        Query(description="empty: JSON and Markdown; else one LMS format for every module (as /{id}/export)"),
    ] = "",
) -> Response:
    """Every module as a zip (admins): with its questions and sources as JSON and Markdown, or with
    `format` one LMS package per module and `export-report.json` listing what each leaves out."""
    data, filename = organization_export(runtime, db, principal, format_name=format)
    return Response(
        content=data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def organization_export(
    runtime: Runtime, db: Session, principal: UserPrincipal, *, format_name: str
) -> tuple[bytes, str]:
    """The organization export (admins) and its file name: JSON and Markdown without a format, else one
    LMS format; audited, with the questions each module's file leaves out."""
    permissions.require_admin(db, org_id=principal.org_id, user_id=principal.user_id)
    target = f"org:{principal.org_id}"
    if not format_name:
        data = export.export_zip(runtime, db, org_id=principal.org_id)
        audit(runtime, db, principal, "modules.exported", target, bytes=len(data))
        return data, "tutela-modules.zip"
    data, report = export.lms_zip(runtime, db, org_id=principal.org_id, format_name=format_name)
    omitted = {m.file: [o.question for o in m.report.omitted] for m in report.modules}
    details = {"bytes": len(data), "format": format_name, "omitted": omitted}
    audit(runtime, db, principal, "modules.exported", target, **details)
    return data, f"tutela-modules.{format_name}.zip"


@router.get("/jobs/{job_id}", response_model=JobRead)
def read_job(job_id: str, principal: CurrentUser, db: RegionDB) -> JobRead:
    """A generation job's progress: status, stage, percentage, then its module or its error."""
    who = viewer_of(db, principal)
    return job_read(service.get_job(db, org_id=principal.org_id, who=who, job_id=job_id))


@router.get("/{module_id}", response_model=ModuleRead)
def read_module(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> ModuleRead:
    """One module; learners get it without the answer key."""
    who = viewer_of(db, principal)
    module = service.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    return module_read(runtime, db, module=module, who=who)


def editable_module(db: Session, principal: UserPrincipal, module_id: str) -> tuple[service.Viewer, Module]:
    who = viewer_of(db, principal)
    module = service.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    service.require_editor(who, module)
    service.require_editable(module)
    return who, module


def save_and_read(
    runtime: Runtime,
    db: Session,
    principal: UserPrincipal,
    who: service.Viewer,
    module: Module,
    content: ModuleContent,
    what: str,
) -> ModuleRead:
    service.save_content(runtime, db, module=module, content=content)
    audit(runtime, db, principal, "module.edited", f"module:{module.id}", part=what)
    return module_read(runtime, db, module=module, who=who)


@router.put("/{module_id}/content", response_model=ModuleRead)
def replace_content(
    module_id: str, body: ModuleContent, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> ModuleRead:
    """Replace the whole module.json (every part is editable); checks run again."""
    who, module = editable_module(db, principal, module_id)
    return save_and_read(runtime, db, principal, who, module, body, "content")


@router.patch("/{module_id}", response_model=ModuleRead)
def patch_module(
    module_id: str, body: ModulePatch, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> ModuleRead:
    """Change the title, summary, learning objectives, whether the source PDF is attached, or the quiz's
    pass mark and mode (these two at any time; past attempts keep their verdict)."""
    who = viewer_of(db, principal)
    module = service.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    service.require_editor(who, module)
    if body.attach_source is not None and body.attach_source != module.attach_source:
        module.attach_source = body.attach_source
        audit(
            runtime,
            db,
            principal,
            "module.attachment_set",
            f"module:{module.id}",
            attached=body.attach_source,
        )
    settings = body.model_dump(exclude_none=True, include={"pass_mark", "quiz_mode"})
    if any(getattr(module, name) != value for name, value in settings.items()):
        for name, value in settings.items():
            setattr(module, name, value)
        audit(runtime, db, principal, "module.quiz_settings_set", f"module:{module.id}", **settings)
    changes = body.model_dump(exclude_none=True, exclude={"attach_source", "pass_mark", "quiz_mode"})
    if not changes:
        db.flush()
        return module_read(runtime, db, module=module, who=who)
    service.require_editable(module)
    content = service.read_content(runtime, db, module=module)
    content = ModuleContent.model_validate(content.model_dump() | changes)
    return save_and_read(runtime, db, principal, who, module, content, ",".join(sorted(changes)))


def check_index(items: list[Any], index: int, what: str) -> None:
    if not 0 <= index < len(items):
        raise NotFound(f"{what} {index} not found; the module has {len(items)}")


@router.put("/{module_id}/chapters/{chapter_index}", response_model=ModuleRead)
def replace_chapter(
    module_id: str,
    chapter_index: int,
    body: ModuleChapter,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ModuleRead:
    """Replace one chapter (its title and lessons with their citations)."""
    who, module = editable_module(db, principal, module_id)
    content = service.read_content(runtime, db, module=module)
    check_index(content.chapters, chapter_index, "chapter")
    content.chapters[chapter_index] = body
    return save_and_read(runtime, db, principal, who, module, content, f"chapters[{chapter_index}]")


@router.put("/{module_id}/questions/{question_index}", response_model=ModuleRead)
def replace_question(
    module_id: str,
    question_index: int,
    body: Question,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
) -> ModuleRead:
    """Replace one question (stem, options, answer key, explanation, citation)."""
    who, module = editable_module(db, principal, module_id)
    content = service.read_content(runtime, db, module=module)
    check_index(content.questions, question_index, "question")
    content.questions[question_index] = body
    return save_and_read(runtime, db, principal, who, module, content, f"questions[{question_index}]")


def module_export(
    runtime: Runtime, db: Session, principal: UserPrincipal, *, module_id: str, format_name: str
) -> exports.Export:
    """One module in an LMS format (without its rejected items), for those who may see its answer key;
    audited with what was left out."""
    who = viewer_of(db, principal)
    module = service.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    service.require_editor(who, module)
    exports.find_format(format_name)  # an unknown format is refused before the content is read
    content = items.for_export(db, module=module, content=service.read_content(runtime, db, module=module))
    export = exports.export_module(content, format_name=format_name, pass_mark=module.pass_mark)
    omitted = [o.question for o in export.report.omitted]
    audit(
        runtime, db, principal, "module.exported", f"module:{module.id}", format=format_name, omitted=omitted
    )
    return export


def export_response(export: exports.Export) -> Response:
    """The export as a download, its report (what was left out and why) in `X-Tutela-Export-Report`."""
    disposition = f'attachment; filename="{export.filename}"'
    return Response(
        content=export.data,
        media_type=export.media_type,
        headers={"Content-Disposition": disposition, "X-Tutela-Export-Report": export.report.header()},
    )


@router.get("/{module_id}/export", response_class=Response)
def export_module(
    module_id: str,
    principal: CurrentUser,
    db: RegionDB,
    runtime: RuntimeDep,
    # Optional here so that a caller who may not export is refused before being told the format is missing.
    format: Annotated[
        str, Query(description="scorm12, scorm2004, cmi5, qti21, qti30, moodle_xml, gift or aiken")
    ] = "",
) -> Response:
    """One module as an LMS package or question bank (author, reviewers, admins); the header
    `X-Tutela-Export-Report` lists each question the format cannot express."""
    return export_response(module_export(runtime, db, principal, module_id=module_id, format_name=format))


@router.get("/{module_id}/checks", response_model=ReportRead)
def read_checks(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> ReportRead:
    """The check report: grounding, safety and conformity findings (author, reviewers, admins)."""
    who = viewer_of(db, principal)
    module = service.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    service.require_editor(who, module)
    row, report = service.read_report(runtime, db, module=module)
    return ReportRead(
        module_id=module.id,
        passed=row.passed,
        errors=row.errors,
        warnings=row.warnings,
        findings=report.findings,
        notes=report.notes,
        checked_at=row.created_at,
    )


@router.delete("/{module_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_module(module_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Delete a module with everything derived from it; its keys are destroyed (author, reviewers, admins;
    once published, reviewers and admins only)."""
    who = viewer_of(db, principal)
    module = service.module_for(db, org_id=principal.org_id, who=who, module_id=module_id)
    service.require_deleter(who, module)
    service.delete_module(runtime, db, module=module)
    audit(runtime, db, principal, "module.deleted", f"module:{module_id}")
