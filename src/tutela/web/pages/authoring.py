"""Authoring pages: upload a PDF (or a recording, see recordings.py) and follow its generation, review a
draft beside its sources, edit and regenerate parts, read the check report, choose groups, handle the source
PDF and publish.

Every change goes through the REST routers' own functions (`/api/documents`, `/api/modules`), so a page
checks exactly what the API checks and writes the same audit entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import BackgroundTasks, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tutela.authoring import exports
from tutela.authoring.covers import router as covers_api
from tutela.authoring.generation.schemas import TRUE_FALSE_OPTIONS, ModuleLesson, Question
from tutela.authoring.ingest.audio import is_pdf
from tutela.authoring.ingest.exceptions import clock as clock_words
from tutela.authoring.modules import router as modules_api
from tutela.authoring.modules import service as modules
from tutela.authoring.modules import settings as authoring_settings
from tutela.authoring.modules.schemas import GenerateRequest, ModulePatch, RegenerateRequest, StateChange
from tutela.authoring.prompts import service as prompts
from tutela.authoring.publishing import router as publishing_api
from tutela.authoring.recordings import speech
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.errors import InvalidInput, NotFound, PermissionDenied, TutelaError
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
NOTICES = {
    "edited": "Your change was saved and the checks ran again.",
    "regenerated": "The part was written again and the checks ran again.",
    "state-in_review": "The module was submitted for review.",
    "state-draft": "The module is a draft again.",
    "state-published": "The module is published to the groups you chose.",
    "state-archived": "The module was archived.",
    "attached": "Learners can now download the source PDF from the module.",
    "detached": "Learners can no longer download the source PDF.",
    "pdf-deleted": "The source PDF was deleted for good.",
    "cover-proposed": "A cover image was generated: review it below, then use it or discard it.",
    "cover-accepted": "The image is now the module's cover; it is exported with the module.",
    "lesson-cover-accepted": "The image is now the lesson's cover; it is exported with the module.",
    "cover-discarded": "The proposed image was discarded.",
    "quiz-settings": "The quiz settings were saved.",
}
# The transitions each state offers: (new state, button label, needs the publish permission).
TRANSITIONS: dict[str, list[tuple[str, str, bool]]] = {
    "draft": [("in_review", "Submit for review", False)],
    "in_review": [("draft", "Move back to draft", False)],
    "published": [("archived", "Archive", True)],
    "archived": [("draft", "Move back to draft", False)],
}


def anchor(location: str) -> str:
    """The id of the place a finding's location (a JSON path into module.json) points to."""
    match = re.match(r"chapters\[(\d+)\](?:\.lessons\[(\d+)\])?", location)
    if match:
        chapter, lesson = match.groups()
        return f"lesson-{chapter}-{lesson}" if lesson is not None else f"chapter-{chapter}"
    match = re.match(r"questions\[(\d+)\]", location)
    if match:
        return f"question-{match.group(1)}"
    return "summary" if location.startswith("summary") else "overview"


def place(location: str) -> str:
    """A location in words: 'Chapter 1, lesson 2', 'Question 3'..."""
    match = re.match(r"chapters\[(\d+)\](?:\.lessons\[(\d+)\])?", location)
    if match:
        chapter, lesson = match.groups()
        words = f"Chapter {int(chapter) + 1}"
        return words + (f", lesson {int(lesson) + 1}" if lesson is not None else "")
    match = re.match(r"questions\[(\d+)\]", location)
    if match:
        return f"Question {int(match.group(1)) + 1}"
    if location.startswith("learning_objectives"):
        return "Learning objectives"
    return location.split(".")[0].replace("_", " ").capitalize()


def highlight(page_text: str, quote: str) -> tuple[str, str, str] | None:
    """The page text split around the quote (found up to whitespace and hyphenation), or None."""
    start = page_text.find(quote)
    if start >= 0:
        return page_text[:start], quote, page_text[start + len(quote) :]
    words = quote.split()
    if not words:
        return None
    pattern = r"[\s\u00ad-]*".join(re.escape(w) for w in words)
    found = re.search(pattern, page_text)
    if found is None:
        return None
    return page_text[: found.start()], found.group(0), page_text[found.end() :]


def _require_author_pages(page: UserPage) -> None:
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
    _require_author_pages(page)
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
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        permissions.require(
            db, org_id=org_id, user_id=page.principal.user_id, permission=Permission.GENERATE_MODULES
        )
        org = organizations.get(db, org_id=org_id)
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
    """Upload the PDF (as POST /api/documents) and start generating (as POST /api/modules)."""
    values = {"template_id": text(form, "template_id"), "instructions": text(form, "instructions")}
    values["language"] = text(form, "language") or "en"
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
            if not isinstance(upload, UploadFile) or not upload.filename:
                errors["file"] = "Choose a PDF file or a recording to upload."
                raise _FormProblem
            body = GenerateRequest.model_validate(
                {
                    "document_id": "pending",
                    "template_id": values["template_id"] or None,
                    "instructions": values["instructions"],
                }
            )
            limit = authoring_settings.current().max_upload_bytes
            data = upload.file.read(limit + 1)
            if len(data) <= limit and not is_pdf(data):
                if values["language"] not in dict(speech.SPOKEN_LANGUAGES):
                    errors["language"] = "Choose the language spoken in the recording."
                    raise _FormProblem
                return recordings_page.start(
                    runtime,
                    db,
                    page,
                    filename=upload.filename,
                    data=data,
                    language=values["language"],
                    values=values,
                    background=background,
                )
            doc = modules.upload(
                runtime,
                db,
                org_id=org_id,
                user_id=principal.user_id,
                filename=upload.filename,
                data=data,
                size=max(upload.size or 0, len(data)),
                password=password if isinstance(password, str) and password else None,
                max_bytes=limit,
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
            job = modules_api.generate(
                body.model_copy(update={"document_id": doc.id}), principal, db, runtime, background
            )
    except _FormProblem:
        pass
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields={"file", "password", "template_id", "language"})
        if isinstance(exc, TutelaError) and "template" in exc.message:
            errors = {"template_id": sentence(exc.message)}
    else:
        # The job is enqueued by the background task once this response is sent (as the REST router does).
        return RedirectResponse(f"/author/jobs/{job.id}", status_code=303)
    return _new_page(request, runtime, page, errors=errors, values=values, status_code=status_code)


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


# --- review -------------------------------------------------------------------------------------------


def _review_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    module_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        module = modules.module_for(db, org_id=org_id, who=who, module_id=module_id)
        modules.require_editor(who, module)
        read = modules_api.module_read(runtime, db, module=module, who=who)
        content = modules.read_content(runtime, db, module=module)
        try:
            _, report = modules.read_report(runtime, db, module=module)
            findings: list[dict[str, Any]] = [
                {
                    "finding": f,
                    "anchor": anchor(f.location),
                    "place": place(f.location),
                    "message": sentence(f.message),
                }
                for f in report.findings
            ]
            notes = report.notes
        except NotFound:
            findings, notes = [], []
        doc = (
            modules.get_document(db, org_id=org_id, document_id=module.document_id)
            if module.document_id
            else None
        )
        group_rows = [(g.id, g.name) for g in groups.list_groups(db, org_id=org_id)] if who.reviewer else []
        may_generate = page.ai_enabled and page.may(Permission.GENERATE_MODULES.value)
        may_generate_questions = page.ai_enabled and page.may(Permission.GENERATE_QUESTIONS.value)
        transitions = [
            (state, label)
            for state, label, publish in TRANSITIONS[module.state]
            if who.reviewer or not publish
        ]
        context: dict[str, Any] = {
            "title": f"Review: {module.title}",
            "module": read,
            "content": content,
            "findings": findings,
            "notes": notes,
            "by_anchor": _by_anchor(findings),
            "state_label": STATE_LABELS.get(module.state, module.state),
            "editable": module.state in modules.EDITABLE_STATES,
            "may_publish": who.reviewer and module.state == "in_review",
            "is_admin": who.admin,
            "may_delete_pdf": module.created_by == who.user_id or who.admin,
            "has_pdf": doc is not None and doc.pdf_object_id is not None,
            "recording": recordings_page.recording_of(
                db, module_document_id=module.document_id, org_id=org_id
            ),
            "filename": doc.filename if doc is not None else "",
            "source_word": "recording" if doc is not None and doc.kind == "recording" else "PDF",
            "groups": group_rows,
            "transitions": transitions,
            "may_generate": may_generate,
            "may_generate_questions": may_generate_questions,
            "cover": covers_api.read_cover(module_id, page.principal, db, runtime),
            "lesson_covers": covers_api.lesson_cover_states(runtime, db, page.principal, module_id),
            "true_false": TRUE_FALSE_OPTIONS,
            "exports": exports.coverage(content, pass_mark=module.pass_mark),
            "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
            "errors": errors or {},
            "values": values or {},
        }
    headers = {"HX-Replace-Url": f"/author/modules/{module_id}"}
    return render(request, "authoring/module.html", context, status_code=status_code, headers=headers)


def _by_anchor(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["anchor"]] = counts.get(f["anchor"], 0) + 1
    return counts


@router.get("/author/modules/{module_id}")
def review_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """A module beside its sources, with its check report and workflow (as GET /api/modules/{id} and
    GET /api/modules/{id}/checks)."""
    return _review_page(request, runtime, page, module_id)


@router.get("/author/modules/{module_id}/source")
def source_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """One page of the source document with a quote highlighted (a fragment for htmx, else a page)."""
    try:
        number = int(request.query_params.get("page", ""))
    except ValueError:
        raise NotFound("no such page in the source document") from None
    quote = request.query_params.get("quote", "")
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        module = modules.module_for(db, org_id=org_id, who=who, module_id=module_id)
        modules.require_editor(who, module)
        _, extraction = modules.source_of(runtime, db, module=module)
        title = module.title
    found = next((p for p in extraction.pages if p.number == number), None)
    if found is None:
        raise NotFound(f"the source document has no page {number}")
    parts = highlight(found.text, quote) if quote else None
    context = {
        "title": f"Page {number} of the source",
        "module_id": module_id,
        "module_title": title,
        "number": number,
        "quote": quote,
        "page_text": found.text,
        "parts": parts,
    }
    template = "authoring/_source.html" if _htmx_fragment(request) else "authoring/source.html"
    return render(request, template, context)


def act(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    module_id: str,
    *,
    key: str,
    action: Callable[[Session, modules.Viewer], str],
    values: dict[str, str] | None = None,
) -> Response:
    """Run a change; on success back to the review page with a notice, else the page with the error
    next to the control that caused it."""
    org_id = page.principal.org_id
    try:
        with runtime.region_session(org_id) as db:
            who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
            notice = action(db, who)
    except NotFound:
        raise
    except (ValidationError, TutelaError) as exc:
        problem = refusal(exc)
        errors, status_code = {key: problem.message}, problem.status_code
    else:
        return RedirectResponse(f"/author/modules/{module_id}?notice={notice}#{key}", status_code=303)
    return _review_page(
        request, runtime, page, module_id, errors=errors, values=values, status_code=status_code
    )


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


@router.post("/author/modules/{module_id}/chapters/{chapter}/lessons/{lesson}")
def edit_lesson(
    module_id: str,
    chapter: int,
    lesson: int,
    request: Request,
    form: Form,
    page: UserPageDep,
    runtime: RuntimeDep,
) -> Response:
    """Edit one lesson's title and text (as PUT /api/modules/{id}/chapters/{i}); its citations stay."""
    key = f"lesson-{chapter}-{lesson}"
    title, body = text(form, "title"), text(form, "content")

    def action(db: Session, who: modules.Viewer) -> str:
        module = modules.module_for(db, org_id=page.principal.org_id, who=who, module_id=module_id)
        content = modules.read_content(runtime, db, module=module)
        if not (
            0 <= chapter < len(content.chapters) and 0 <= lesson < len(content.chapters[chapter].lessons)
        ):
            raise NotFound(f"lesson {lesson} of chapter {chapter} not found")
        new = content.chapters[chapter].model_copy(deep=True)
        old = new.lessons[lesson]
        new.lessons[lesson] = ModuleLesson(title=title, content=body, citations=old.citations)
        modules_api.replace_chapter(module_id, chapter, new, page.principal, db, runtime)
        return "edited"

    values = {f"{key}-title": title, f"{key}-content": body}
    return act(request, runtime, page, module_id, key=key, action=action, values=values)


@router.post("/author/modules/{module_id}/questions/{index}")
def edit_question(
    module_id: str, index: int, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Edit one question (as PUT /api/modules/{id}/questions/{i}); its type and citation stay."""
    key = f"question-{index}"
    fields = {name: str(form.get(name, "")).strip() for name in ("stem", "options", "answer", "explanation")}

    def action(db: Session, who: modules.Viewer) -> str:
        module = modules.module_for(db, org_id=page.principal.org_id, who=who, module_id=module_id)
        content = modules.read_content(runtime, db, module=module)
        if not 0 <= index < len(content.questions):
            raise NotFound(f"question {index} not found")
        old = content.questions[index]
        options = list(TRUE_FALSE_OPTIONS) if old.type == "true_false" else _lines(fields["options"])
        question = Question(
            type=old.type,
            stem=fields["stem"],
            options=options,
            answer=_lines(fields["answer"]),
            explanation=fields["explanation"],
            citation=old.citation,
        )
        modules_api.replace_question(module_id, index, question, page.principal, db, runtime)
        return "edited"

    values = {f"{key}-{name}": value for name, value in fields.items()}
    return act(request, runtime, page, module_id, key=key, action=action, values=values)


@router.post("/author/modules/{module_id}/chapters/{chapter}/regenerate")
def regenerate_chapter(
    module_id: str, chapter: int, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Write one chapter again (as POST /api/modules/{id}/chapters/{i}/regenerate)."""

    def action(db: Session, who: modules.Viewer) -> str:
        modules_api.regenerate_chapter(module_id, chapter, RegenerateRequest(), page.principal, db, runtime)
        return "regenerated"

    return act(request, runtime, page, module_id, key=f"chapter-{chapter}", action=action)


@router.post("/author/modules/{module_id}/questions/{index}/regenerate")
def regenerate_question(
    module_id: str, index: int, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Write one question again (as POST /api/modules/{id}/questions/{i}/regenerate)."""

    def action(db: Session, who: modules.Viewer) -> str:
        modules_api.regenerate_question(module_id, index, RegenerateRequest(), page.principal, db, runtime)
        return "regenerated"

    return act(request, runtime, page, module_id, key=f"question-{index}", action=action)


@router.post("/author/modules/{module_id}/state")
def change_state(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Submit, publish to groups (with an admin's written reason when checks fail), archive, or back to
    draft (as POST /api/modules/{id}/state)."""
    state = text(form, "state")
    group_ids = [g for g in form.getlist("group_ids") if isinstance(g, str) and g]
    reason = text(form, "override_reason")
    key = "publish" if state == "published" else "workflow"

    def action(db: Session, who: modules.Viewer) -> str:
        if state == "published" and not group_ids:
            raise InvalidInput("choose at least one group to publish to", param="group_ids")
        body = StateChange.model_validate(
            {"state": state, "group_ids": group_ids or None, "override_reason": reason or None}
        )
        publishing_api.change_state(module_id, body, page.principal, db, runtime)
        return f"state-{state}"

    values = {"override_reason": reason, **{f"group-{g}": "on" for g in group_ids}}
    return act(request, runtime, page, module_id, key=key, action=action, values=values)


@router.post("/author/modules/{module_id}/attachment")
def set_attachment(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Offer the source PDF to learners, or stop offering it (as PATCH /api/modules/{id})."""
    attach = text(form, "attach") == "true"

    def action(db: Session, who: modules.Viewer) -> str:
        modules_api.patch_module(module_id, ModulePatch(attach_source=attach), page.principal, db, runtime)
        return "attached" if attach else "detached"

    return act(request, runtime, page, module_id, key="source-pdf", action=action)


@router.post("/author/modules/{module_id}/quiz-settings")
def set_quiz_settings(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """The quiz's pass mark and whether learners see one question at a time (as PATCH /api/modules/{id})."""
    values = {"pass_mark": text(form, "pass_mark"), "quiz_mode": text(form, "quiz_mode")}

    def action(db: Session, who: modules.Viewer) -> str:
        patch = ModulePatch.model_validate(values)
        modules_api.patch_module(module_id, patch, page.principal, db, runtime)
        return "quiz-settings"

    return act(request, runtime, page, module_id, key="quiz-settings", action=action, values=values)


@router.post("/author/modules/{module_id}/attachment/delete")
def delete_attachment(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Delete the source PDF for good (as DELETE /api/modules/{id}/attachment)."""

    def action(db: Session, who: modules.Viewer) -> str:
        publishing_api.delete_attachment(module_id, page.principal, db, runtime)
        return "pdf-deleted"

    return act(request, runtime, page, module_id, key="source-pdf", action=action)
