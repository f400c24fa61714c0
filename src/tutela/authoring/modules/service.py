"""Source documents, modules, check reports, attempts and generation jobs of an organization.

Who sees what (L5): a module is seen by its author, by whoever may review and publish (and admins), and —
once published — by the members of the groups it is published to. The uploaded PDF is seen by its uploader
and by those who see a module made from it (learners only when the author attached it). Anyone else gets
the same 404 as for an id that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from tutela.authoring.covers import service as covers
from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.generation.timing import with_times
from tutela.authoring.ingest import ExtractedDocument, IngestError, ParserBusy, PdfTooLarge, extract_pdf
from tutela.authoring.learning.models import Progress
from tutela.authoring.modules import items, settings
from tutela.authoring.modules.checks import Report, run_checks
from tutela.authoring.modules.exceptions import (
    DocumentRefused,
    ReadingBusy,
    SourceUnavailable,
    TranscriptNotReady,
    UploadTooLarge,
)
from tutela.authoring.modules.models import (
    Attempt,
    AuthoringJob,
    CheckReport,
    Module,
    ModuleGroup,
    ModuleSource,
    SourceDocument,
)
from tutela.authoring.prompts import service as prompts
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.exceptions import AIDisabled
from tutela.core.permissions.roles import Permission, Role
from tutela.errors import Conflict, NotFound, PermissionDenied
from tutela.gateway.deployments import service as deployments
from tutela.gateway.library import service as library
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.db import utcnow
from tutela.storage.tenancy import get_owned, scoped

M = TypeVar("M", bound=BaseModel)

PDF_PURPOSE = "authoring-pdf"
EXTRACTION_PURPOSE = "authoring-extraction"
CONTENT_PURPOSE = "authoring-module"
FINDINGS_PURPOSE = "authoring-checks"
EDITABLE_STATES = ("draft", "in_review")
_STATUS_OF_REFUSAL = {"not_a_pdf": 400, "too_large": 413}


# --- who is asking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """A user as visibility rules see them."""

    user_id: str
    admin: bool
    reviewer: bool
    groups: frozenset[str]


def viewer(db: Session, *, org_id: str, user_id: str) -> Viewer:
    """The caller's roles and groups, through the permission service."""
    return Viewer(
        user_id=user_id,
        admin=Role.ADMIN in permissions.roles_of(db, org_id=org_id, user_id=user_id),
        reviewer=permissions.allows(db, org_id=org_id, user_id=user_id, permission=Permission.REVIEW_PUBLISH),
        groups=frozenset(groups.group_ids_of(db, org_id=org_id, user_id=user_id)),
    )


def module_groups(db: Session, *, org_id: str, module_id: str) -> list[str]:
    """Ids of the groups a module is published to."""
    stmt = select(ModuleGroup.group_id).where(
        ModuleGroup.org_id == org_id, ModuleGroup.module_id == module_id
    )
    return list(db.scalars(stmt))


def can_see(db: Session, who: Viewer, module: Module) -> bool:
    """Author, reviewers and admins always; learners once it is published to one of their groups."""
    if module.created_by == who.user_id or who.reviewer or who.admin:
        return True
    if module.state != "published":
        return False
    return bool(who.groups & set(module_groups(db, org_id=module.org_id, module_id=module.id)))


def can_edit(who: Viewer, module: Module) -> bool:
    """The author, reviewers and admins edit."""
    return module.created_by == who.user_id or who.reviewer or who.admin


def is_staff_for(who: Viewer, module: Module) -> bool:
    """Sees the module as its author, a reviewer or an admin (not as a learner)."""
    return can_edit(who, module)


def require_editor(who: Viewer, module: Module) -> None:
    """PermissionDenied unless the caller may change the module."""
    if not can_edit(who, module):
        raise PermissionDenied("only the module's author, a reviewer or an admin may change it")


def require_deleter(who: Viewer, module: Module) -> None:
    """A module that was ever published (learners may have seen it and answered its quiz) is deleted only
    with publish rights; a draft that never was, by whoever may edit it."""
    require_editor(who, module)
    if module.published_at is not None and not (who.reviewer or who.admin):
        raise PermissionDenied("only a reviewer or an admin may delete a module that was published")


# --- encrypted JSON ---------------------------------------------------------------------------------


def put_model(runtime: Runtime, db: Session, *, org_id: str, purpose: str, value: BaseModel) -> str:
    data = value.model_dump_json().encode()
    return objects.put(
        runtime, db, org_id=org_id, purpose=purpose, data=data, content_type="application/json"
    ).id


def _read_model(runtime: Runtime, db: Session, *, org_id: str, object_id: str | None, model: type[M]) -> M:
    if object_id is None:
        raise SourceUnavailable("this content has been deleted")
    return model.model_validate_json(objects.read(runtime, db, org_id=org_id, object_id=object_id))


def _drop_object(runtime: Runtime, db: Session, *, org_id: str, object_id: str | None) -> None:
    if object_id is not None:
        objects.delete(runtime, db, org_id=org_id, object_id=object_id)


# --- source documents -------------------------------------------------------------------------------


def upload(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    user_id: str,
    filename: str,
    data: bytes,
    size: int,
    password: str | None,
    max_bytes: int,
) -> SourceDocument:
    """Ingest a PDF in the sandbox; store it and its extraction encrypted, or refuse with ingest's reason."""
    if size > max_bytes:
        raise UploadTooLarge(PdfTooLarge.for_size(size, max_bytes).message, param="file")
    try:
        limits = settings.current().ingest_limits(max_bytes=max_bytes)
        document = extract_pdf(data, password=password, limits=limits)
    except ParserBusy as exc:
        raise ReadingBusy(exc.message, retry_after=exc.retry_after) from None
    except IngestError as exc:
        raise DocumentRefused(
            exc.message, code=exc.code, status_code=_STATUS_OF_REFUSAL.get(exc.code, 422)
        ) from None
    pdf = objects.put(
        runtime, db, org_id=org_id, purpose=PDF_PURPOSE, data=data, content_type="application/pdf"
    )
    extraction = put_model(runtime, db, org_id=org_id, purpose=EXTRACTION_PURPOSE, value=document)
    row = SourceDocument(
        org_id=org_id,
        filename=safe_filename(filename),
        size=len(data),
        uploaded_by=user_id,
        page_count=document.page_count,
        language=document.language,
        headings_source=document.headings_source,
        pdf_object_id=pdf.id,
        extraction_object_id=extraction,
    )
    db.add(row)
    db.flush()
    return row


def safe_filename(name: str, *, default: str = "document.pdf") -> str:
    """An uploaded file's name without its folders or characters unsafe in a header."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^\w.() -]", "_", base).strip() or default
    return cleaned[:200]


def get_document(db: Session, *, org_id: str, document_id: str) -> SourceDocument:
    """A source document of the organization (no visibility check: internal use)."""
    return get_owned(db, SourceDocument, document_id, org_id=org_id, what="document")


def document_for(db: Session, *, org_id: str, who: Viewer, document_id: str) -> SourceDocument:
    """A document its uploader (or an admin) manages; anyone else gets NotFound."""
    doc = get_document(db, org_id=org_id, document_id=document_id)
    if doc.uploaded_by != who.user_id and not who.admin:
        raise NotFound(f"document {document_id!r} not found")
    return doc


def list_documents(db: Session, *, org_id: str, who: Viewer) -> list[SourceDocument]:
    """The caller's uploads (every upload for admins), newest first."""
    stmt = scoped(SourceDocument, org_id)
    if not who.admin:
        stmt = stmt.where(SourceDocument.uploaded_by == who.user_id)
    return list(db.scalars(stmt.order_by(SourceDocument.created_at.desc())))


def _modules_from(db: Session, doc: SourceDocument) -> list[Module]:
    """The modules written from a document, alone or among several."""
    among = select(ModuleSource.module_id).where(
        ModuleSource.org_id == doc.org_id, ModuleSource.document_id == doc.id
    )
    stmt = scoped(Module, doc.org_id).where(or_(Module.document_id == doc.id, Module.id.in_(among)))
    return list(db.scalars(stmt))


def _shows(db: Session, who: Viewer, module: Module, document_id: str) -> bool:
    """Whether a module lets the viewer see one of its source documents: as its staff any of them; as a
    learner, the PDF the author attached (the first document)."""
    if is_staff_for(who, module) and can_see(db, who, module):
        return True
    return module.attach_source and module.document_id == document_id and can_see(db, who, module)


def pdf_visible(db: Session, *, who: Viewer, doc: SourceDocument) -> bool:
    """L5: the uploader, and whoever sees a module made from it (learners only where it is attached)."""
    if doc.uploaded_by == who.user_id or who.admin:
        return True
    return any(_shows(db, who, module, doc.id) for module in _modules_from(db, doc))


def visible_document_ids(db: Session, *, org_id: str, who: Viewer) -> set[str]:
    """`pdf_visible` for every document of the organization at once: the ids of those the viewer sees."""
    stmt = select(SourceDocument.id).where(SourceDocument.org_id == org_id)
    if who.admin:
        return set(db.scalars(stmt))
    ids = set(db.scalars(stmt.where(SourceDocument.uploaded_by == who.user_id)))
    for module in list_modules(db, org_id=org_id, who=who):
        sources = [module.document_id, *module_source_ids(db, module=module)]
        ids |= {d for d in sources if d is not None and _shows(db, who, module, d)}
    return ids


def generation_sources(
    db: Session, *, org_id: str, who: Viewer, document_ids: list[str]
) -> list[SourceDocument]:
    """The documents a module may be written from: each one the author manages, or one of the library's
    they may see (L5). Any other id, of this organization or another, is NotFound."""
    visible: set[str] | None = None
    found = []
    for document_id in dict.fromkeys(document_ids):
        doc = get_document(db, org_id=org_id, document_id=document_id)
        if doc.uploaded_by != who.user_id and not who.admin:
            if visible is None:
                visible = visible_document_ids(db, org_id=org_id, who=who)
            if doc.id not in visible or library.find(db, org_id=org_id, source_id=doc.id) is None:
                raise NotFound(f"document {document_id!r} not found")
        found.append(doc)
    return found


def read_pdf(runtime: Runtime, db: Session, *, doc: SourceDocument) -> bytes:
    """The PDF's bytes; SourceUnavailable once deleted."""
    if doc.pdf_object_id is None:
        raise SourceUnavailable("the source PDF has been deleted")
    return objects.read(runtime, db, org_id=doc.org_id, object_id=doc.pdf_object_id)


def read_extraction(runtime: Runtime, db: Session, *, doc: SourceDocument) -> ExtractedDocument:
    """What ingest extracted from the PDF."""
    return _read_model(
        runtime, db, org_id=doc.org_id, object_id=doc.extraction_object_id, model=ExtractedDocument
    )


def delete_pdf(runtime: Runtime, db: Session, *, doc: SourceDocument) -> None:
    """Delete the PDF file and destroy its key; the extraction stays for checks and regeneration."""
    object_id, doc.pdf_object_id = doc.pdf_object_id, None
    db.flush()
    _drop_object(runtime, db, org_id=doc.org_id, object_id=object_id)


def delete_document(runtime: Runtime, db: Session, *, doc: SourceDocument) -> None:
    """Delete a document no module uses: the PDF, the extraction, its jobs, its row."""
    used = len(_modules_from(db, doc))
    if used:
        raise Conflict(f"{used} module(s) were made from this document; delete them first")
    _delete_document(runtime, db, doc=doc)


def _delete_document(runtime: Runtime, db: Session, *, doc: SourceDocument) -> None:
    library.remove(runtime, db, org_id=doc.org_id, source_id=doc.id)
    pdf, extraction = doc.pdf_object_id, doc.extraction_object_id
    doc.pdf_object_id = doc.extraction_object_id = None
    db.execute(
        delete(AuthoringJob).where(AuthoringJob.org_id == doc.org_id, AuthoringJob.document_id == doc.id)
    )
    db.flush()
    _drop_object(runtime, db, org_id=doc.org_id, object_id=pdf)
    _drop_object(runtime, db, org_id=doc.org_id, object_id=extraction)
    db.delete(doc)
    db.flush()


# --- generation jobs --------------------------------------------------------------------------------


def check_generation_allowed(db: Session, *, org_id: str, user_id: str, permission: Permission) -> None:
    """The matrix grants the permission and the organization has AI switched on."""
    permissions.require(db, org_id=org_id, user_id=user_id, permission=permission)
    if not organizations.get(db, org_id=org_id).ai_enabled:
        raise AIDisabled("AI features are switched off for this organization")


def deployment_model(db: Session, *, org_id: str, name: str) -> str:
    """The model a deployment of the default AI resource runs (NotFound for an unknown deployment)."""
    resource = resources.find_resource(db, org_id=org_id, name=resources.DEFAULT_RESOURCE)
    if resource is None:
        raise NotFound("the organization has no default AI resource")
    found = deployments.find(db, org_id=org_id, resource_id=resource.id, name=name)
    model = found.options.get("model") if isinstance(found.options, dict) else None
    return str(model or found.provider)


def start_generation(
    db: Session,
    *,
    org_id: str,
    who: Viewer,
    document_ids: list[str],
    template_id: str | None,
    template_version: int | None,
    deployment: str,
    instructions: str,
) -> AuthoringJob:
    """Validate a generation request and record its job (the caller enqueues it after commit); a module
    of several documents lists them all in the job's `documents`."""
    check_generation_allowed(db, org_id=org_id, user_id=who.user_id, permission=Permission.GENERATE_MODULES)
    docs = generation_sources(db, org_id=org_id, who=who, document_ids=document_ids)
    if any(d.extraction_object_id is None and d.kind == "recording" for d in docs):
        raise TranscriptNotReady(
            "the recording's transcript is not ready yet: wait for its transcription to finish (or upload it "
            "again if it failed)"
        )
    deployment_model(db, org_id=org_id, name=deployment)
    # Questions are written only for those the matrix lets generate them; the module comes without.
    questions = permissions.allows(
        db, org_id=org_id, user_id=who.user_id, permission=Permission.GENERATE_QUESTIONS
    )
    params: dict[str, Any] = {"deployment": deployment, "instructions": instructions, "questions": questions}
    if len(docs) > 1:
        params["documents"] = [d.id for d in docs]
    if template_id is not None:
        version = prompts.version(db, org_id=org_id, template_id=template_id, number=template_version)
        params["template_version_id"] = version.id
    return create_job(
        db, org_id=org_id, user_id=who.user_id, kind="generate", document_id=docs[0].id, params=params
    )


def create_job(
    db: Session,
    *,
    org_id: str,
    user_id: str,
    kind: str,
    document_id: str | None = None,
    module_id: str | None = None,
    params: dict[str, Any] | None = None,
) -> AuthoringJob:
    """A queued job row."""
    job = AuthoringJob(
        org_id=org_id,
        kind=kind,
        status="queued",
        stage="queued",
        percent=0,
        document_id=document_id,
        module_id=module_id,
        params=dict(params or {}),
        created_by=user_id,
    )
    db.add(job)
    db.flush()
    return job


def get_job(db: Session, *, org_id: str, who: Viewer, job_id: str) -> AuthoringJob:
    """A job its starter (or an admin) follows."""
    job = get_owned(db, AuthoringJob, job_id, org_id=org_id, what="job")
    if job.created_by != who.user_id and not who.admin:
        raise NotFound(f"job {job_id!r} not found")
    return job


def jobs_in_progress(db: Session, *, org_id: str, user_id: str) -> list[AuthoringJob]:
    """The user's generations still queued or running, oldest first."""
    stmt = scoped(AuthoringJob, org_id).where(
        AuthoringJob.created_by == user_id, AuthoringJob.status.in_(("queued", "running"))
    )
    return list(db.scalars(stmt.order_by(AuthoringJob.created_at)))


# --- modules ----------------------------------------------------------------------------------------


def create_module(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    user_id: str,
    doc: SourceDocument,
    content: ModuleContent,
    extraction: ExtractedDocument,
    deployment: str,
    model: str,
    template_id: str | None,
    template_version: int | None,
    job_id: str | None = None,
    sources: Sequence[str] = (),
) -> Module:
    """A new draft from generated content, with its check report (`job_id`: the job that made it;
    `sources`: the ids of its documents, when it was written from several, `doc` the first)."""
    module = Module(
        org_id=org_id,
        title=content.title[:500],
        language=content.language,
        state="draft",
        document_id=doc.id,
        template_id=template_id,
        template_version=template_version,
        deployment=deployment,
        model=model,
        created_by=user_id,
        job_id=job_id,
    )
    db.add(module)
    db.flush()
    for position, document_id in enumerate(sources):
        db.add(ModuleSource(org_id=org_id, module_id=module.id, document_id=document_id, position=position))
    db.flush()
    save_content(runtime, db, module=module, content=content, extraction=extraction)
    return module


def module_for(db: Session, *, org_id: str, who: Viewer, module_id: str) -> Module:
    """A module the caller may see, else NotFound (the same as for a missing id)."""
    module = get_owned(db, Module, module_id, org_id=org_id, what="module")
    if not can_see(db, who, module):
        raise NotFound(f"module {module_id!r} not found")
    return module


def list_modules(db: Session, *, org_id: str, who: Viewer, state: str | None = None) -> list[Module]:
    """Every module the caller may see, newest first; learners see their published ones."""
    stmt = scoped(Module, org_id)
    if state is not None:
        stmt = stmt.where(Module.state == state)
    if not (who.reviewer or who.admin):
        published_to_me = select(ModuleGroup.module_id).where(
            ModuleGroup.org_id == org_id, ModuleGroup.group_id.in_(sorted(who.groups))
        )
        stmt = stmt.where(
            or_(
                Module.created_by == who.user_id,
                (Module.state == "published") & Module.id.in_(published_to_me),
            )
        )
    return list(db.scalars(stmt.order_by(Module.created_at.desc())))


def read_content(runtime: Runtime, db: Session, *, module: Module) -> ModuleContent:
    """A module's chapters, lessons, questions and summary."""
    return _read_model(
        runtime, db, org_id=module.org_id, object_id=module.content_object_id, model=ModuleContent
    )


def source_of(runtime: Runtime, db: Session, *, module: Module) -> tuple[SourceDocument, ExtractedDocument]:
    """The module's source document and its extraction."""
    if module.document_id is None:
        raise SourceUnavailable("the module's source document has been deleted")
    doc = get_document(db, org_id=module.org_id, document_id=module.document_id)
    return doc, read_extraction(runtime, db, doc=doc)


def module_source_ids(db: Session, *, module: Module) -> list[str]:
    """The ids of a module's documents in order, when it was written from several (else empty)."""
    stmt = (
        select(ModuleSource.document_id)
        .where(ModuleSource.org_id == module.org_id, ModuleSource.module_id == module.id)
        .order_by(ModuleSource.position)
    )
    return list(db.scalars(stmt))


def require_editable(module: Module) -> None:
    """Content changes only in draft or in review."""
    from tutela.authoring.modules.exceptions import WrongState

    if module.state not in EDITABLE_STATES:
        raise WrongState(f"a {module.state} module cannot be edited; move it back to draft first")


def save_content(
    runtime: Runtime,
    db: Session,
    *,
    module: Module,
    content: ModuleContent,
    extraction: ExtractedDocument | None = None,
) -> Report:
    """Store new content (a new encrypted object; the old one's key is destroyed) and re-run the checks;
    the decisions on items whose content changed are forgotten."""
    if extraction is None:
        _, extraction = source_of(runtime, db, module=module)
    others = {
        document_id: read_extraction(
            runtime, db, doc=get_document(db, org_id=module.org_id, document_id=document_id)
        )
        for document_id in module_source_ids(db, module=module)
    }
    content = with_times(content, extraction, others)
    old = module.content_object_id
    if old is not None:
        items.forget_changed(db, module=module, old=read_content(runtime, db, module=module), new=content)
    module.content_object_id = put_model(
        runtime, db, org_id=module.org_id, purpose=CONTENT_PURPOSE, value=content
    )
    module.title = content.title[:500]
    module.language = content.language
    module.updated_at = utcnow()
    db.flush()
    _drop_object(runtime, db, org_id=module.org_id, object_id=old)
    report = run_checks(
        db,
        org_id=module.org_id,
        module=content,
        document=extraction,
        deployment=module.deployment,
        others=others,
    )
    _save_report(runtime, db, module=module, report=report)
    return report


def _save_report(runtime: Runtime, db: Session, *, module: Module, report: Report) -> None:
    row = db.scalars(
        scoped(CheckReport, module.org_id).where(CheckReport.module_id == module.id)
    ).one_or_none()
    old = row.findings_object_id if row is not None else None
    if row is None:
        row = CheckReport(org_id=module.org_id, module_id=module.id, passed=False, errors=0, warnings=0)
        db.add(row)
    row.passed, row.errors, row.warnings = report.passed, report.errors, report.warnings
    row.findings_object_id = put_model(
        runtime, db, org_id=module.org_id, purpose=FINDINGS_PURPOSE, value=report
    )
    row.created_at = utcnow()
    db.flush()
    _drop_object(runtime, db, org_id=module.org_id, object_id=old)


def report_row(db: Session, *, module: Module) -> CheckReport:
    """The module's latest check report row."""
    row = db.scalars(
        scoped(CheckReport, module.org_id).where(CheckReport.module_id == module.id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"module {module.id!r} has no check report")
    return row


def read_report(runtime: Runtime, db: Session, *, module: Module) -> tuple[CheckReport, Report]:
    """The latest check report with its findings."""
    row = report_row(db, module=module)
    return row, _read_model(runtime, db, org_id=module.org_id, object_id=row.findings_object_id, model=Report)


def delete_module(runtime: Runtime, db: Session, *, module: Module) -> None:
    """Delete a module and everything derived from it: content, cover, checks, attempts, learners' progress,
    visibility, jobs — and its source document (PDF and extraction) when no other module was made from it."""
    org_id = module.org_id
    report = db.scalars(scoped(CheckReport, org_id).where(CheckReport.module_id == module.id)).one_or_none()
    findings = report.findings_object_id if report is not None else None
    content, module.content_object_id = module.content_object_id, None
    covers.delete_covers(runtime, db, module=module)
    for model in (Attempt, Progress, ModuleGroup, CheckReport, AuthoringJob):
        column: Any = model.module_id
        db.execute(delete(model).where(model.org_id == org_id, column == module.id))
    db.flush()
    _drop_object(runtime, db, org_id=org_id, object_id=content)
    _drop_object(runtime, db, org_id=org_id, object_id=findings)
    document_id = module.document_id
    db.delete(module)
    db.flush()
    if document_id is not None:
        others = db.scalar(select(func.count()).select_from(Module).where(Module.document_id == document_id))
        if not others:
            _delete_document(runtime, db, doc=get_document(db, org_id=org_id, document_id=document_id))


# --- quizzes ----------------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def is_correct(question_type: str, key: list[str], given: list[str]) -> bool:
    """Choice questions: exactly the right options; typed answers: any accepted answer, loosely compared."""
    if question_type in ("fill_in_blank", "short_answer"):
        return len(given) == 1 and _normal(given[0]) in {_normal(k) for k in key}
    return {g.strip() for g in given} == {k.strip() for k in key}


def take_quiz(
    db: Session, *, module: Module, content: ModuleContent, user_id: str, answers: list[list[str]]
) -> tuple[Attempt, list[bool]]:
    """Score a learner's answers to a published module's quiz and record them, passed when the score
    reaches the module's pass mark."""
    from tutela.authoring.modules.exceptions import WrongState
    from tutela.errors import InvalidInput

    if module.state != "published":
        raise WrongState("only a published module's quiz can be taken")
    if len(answers) != len(content.questions):
        raise InvalidInput(
            f"expected {len(content.questions)} answers, one list per question, got {len(answers)}",
            param="answers",
        )
    verdicts = [is_correct(q.type, q.answer, a) for q, a in zip(content.questions, answers, strict=True)]
    correct, total = sum(verdicts), len(verdicts)
    attempt = Attempt(
        org_id=module.org_id,
        module_id=module.id,
        user_id=user_id,
        answers=answers,
        correct=correct,
        total=total,
        score=round(correct / total, 4) if total else 0.0,
        passed=total == 0 or correct * 100 >= module.pass_mark * total,
    )
    db.add(attempt)
    db.flush()
    return attempt, verdicts


def attempts_of(db: Session, *, module: Module, who: Viewer) -> list[Attempt]:
    """The caller's attempts; authors, reviewers and admins see everyone's."""
    stmt = scoped(Attempt, module.org_id).where(Attempt.module_id == module.id)
    if not is_staff_for(who, module):
        stmt = stmt.where(Attempt.user_id == who.user_id)
    return list(db.scalars(stmt.order_by(Attempt.created_at)))
