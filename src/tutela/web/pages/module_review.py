"""The module review page: the generated lessons and questions on the left, the cited source page on the
right with the quote highlighted, the check panel whose findings jump to their place, and each item's
decision (accepted, rejected, not reviewed yet) with its edit, accept, reject and regenerate controls.

Every change goes through the REST routers' own functions (`/api/modules`), so the page checks exactly what
the API checks and writes the same audit entries; the changes themselves are in module_edits.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from tutela.authoring import exports
from tutela.authoring.covers import router as covers_api
from tutela.authoring.generation.schemas import TRUE_FALSE_OPTIONS, Citation
from tutela.authoring.generation.schemas import Module as ModuleContent
from tutela.authoring.generation.timing import stretch
from tutela.authoring.ingest import ExtractedDocument
from tutela.authoring.library import service as library_sources
from tutela.authoring.modules import items
from tutela.authoring.modules import router as modules_api
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.exceptions import NothingLeft, SourceUnavailable
from tutela.authoring.modules.models import Module
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.groups import service as groups
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound, TutelaError
from tutela.runtime import Runtime
from tutela.web.pages import recordings as recordings_page
from tutela.web.pages.authoring import STATE_LABELS
from tutela.web.pages.reviewers import reviewers_panel
from tutela.web.routing import page_router, refusal
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render, sentence

router = page_router()

NOTICES = {
    "edited": "Your change was saved and the checks ran again.",
    "regenerated": "The part was written again and the checks ran again.",
    "state-in_review": "The module was submitted for review; the reviewers were told.",
    "reviewers": "The reviewers were saved; anyone newly asked to review a module in review was told.",
    "sent-back": "The module is a draft again; its author was told, with your comment.",
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
    "decided": "Your decision was saved.",
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


def part_of(key: str) -> str:
    """The part of the workspace an item's anchor is shown in: "chapter-2" for lesson-2-0 or chapter-2,
    "questions" for question-3; "" for what every part shows (overview, workflow, cover, exports)."""
    match = re.match(r"(?:lesson|chapter)-(\d+)", key)
    if match:
        return f"chapter-{match.group(1)}"
    return "questions" if key.startswith("question-") else ""


def _parts(content: ModuleContent, found: list[items.Item]) -> list[dict[str, Any]]:
    """The workspace's parts, one per chapter then the questions, with how many items each has left."""
    left: dict[str, int] = {}
    for i in found:
        if i.decision is None:
            left[part_of(i.anchor)] = left.get(part_of(i.anchor), 0) + 1
    parts = [
        {
            "key": f"chapter-{c}",
            "label": f"Chapter {c + 1}",
            "title": chapter.title,
            "left": left.get(f"chapter-{c}", 0),
        }
        for c, chapter in enumerate(content.chapters)
    ]
    parts.append(
        {"key": "questions", "label": "Questions", "title": "Questions", "left": left.get("questions", 0)}
    )
    return parts


def citations(content: ModuleContent) -> dict[str, tuple[str, Citation]]:
    """Every citation of the content by its key on the page ("lesson-0-1.2": the third source of lesson 2 of
    chapter 1; "question-3"), with the item it belongs to in words."""
    found: dict[str, tuple[str, Citation]] = {}
    for c, chapter in enumerate(content.chapters):
        for i, lesson in enumerate(chapter.lessons):
            for n, cit in enumerate(lesson.citations):
                found[f"lesson-{c}-{i}.{n}"] = (f"chapter {c + 1}, lesson {i + 1}", cit)
    for i, question in enumerate(content.questions):
        found[f"question-{i}"] = (f"question {i + 1}", question.citation)
    return found


def cited_document(
    runtime: Runtime,
    db: Session,
    *,
    module: Module,
    document_id: str | None,
    default: ExtractedDocument | None,
) -> tuple[ExtractedDocument | None, str]:
    """The document a citation points to and its name in words: one of the module's own documents (a
    module of several), else the module's source."""
    if not document_id:
        return default, "the source"
    if document_id not in modules.module_source_ids(db, module=module):
        raise NotFound("that document is not a source of this module")
    doc = modules.get_document(db, org_id=module.org_id, document_id=document_id)
    try:
        extraction = modules.read_extraction(runtime, db, doc=doc)
    except (NotFound, SourceUnavailable):
        return None, "the source"
    return extraction, f"\u201c{library_sources.document_title(runtime, db, doc=doc)}\u201d"


def source_view(
    extraction: ExtractedDocument | None,
    *,
    number: int,
    quote: str,
    label: str = "",
    key: str = "",
    document: str = "the source",
) -> dict[str, Any]:
    """What the source panel shows: one page of the source with the quote highlighted where it is found."""
    found = None if extraction is None else next((p for p in extraction.pages if p.number == number), None)
    times = extraction.times if extraction is not None else None
    span = times[number - 1] if times is not None and 1 <= number <= len(times) else None
    return {
        "document": document,
        "start": span.start if span is not None else None,
        "end": span.end if span is not None else None,
        "number": number,
        "quote": quote,
        "label": label,
        "key": key,
        "available": found is not None,
        "page_text": found.text if found is not None else "",
        "parts": highlight(found.text, quote) if found is not None and quote else None,
    }


def review_view(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    module_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
    part: str = "",
) -> Response:
    """The review page showing one part (a chapter's lessons, or the questions), with the errors of a failed
    change next to the control that caused it."""
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
                    "part": part_of(anchor(f.location)),
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
        try:
            _, extraction = modules.source_of(runtime, db, module=module)
        except SourceUnavailable:
            extraction = None
        found = items.items(db, module=module, content=content)
        parts = _parts(content, found)
        part = part or request.query_params.get("part", "")
        if part not in [p["key"] for p in parts]:
            part = "chapter-0"
        cites = citations(content)
        chosen = request.query_params.get("cite", "")
        if chosen not in cites:
            chosen = next((k for k in cites if part_of(k.split(".")[0]) == part), next(iter(cites), ""))
        label, cit = cites[chosen] if chosen else ("", None)
        source = None
        if cit is not None:
            cited, name = cited_document(
                runtime, db, module=module, document_id=cit.document_id, default=extraction
            )
            source = source_view(
                cited, number=cit.page, quote=cit.quote, label=label, key=chosen, document=name
            )
        group_rows = groups.list_groups(db, org_id=org_id) if who.reviewer else []
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
            "decisions": {i.anchor: i.decision for i in found},
            "reviewers": reviewers_panel(db, module=module, who=who),
            "recording": recordings_page.recording_of(
                db, module_document_id=module.document_id, org_id=org_id
            ),
            "source_word": "recording" if doc is not None and doc.kind == "recording" else "PDF",
            "parts": parts,
            "part_of": part_of,
            "part": part,
            "part_index": [p["key"] for p in parts].index(part),
            "lessons_before": sum(
                len(ch.lessons)
                for ch in content.chapters[: int(part.split("-")[1]) if part != "questions" else 0]
            ),
            "undecided": [i for i in found if i.decision is None],
            "decided": sum(1 for i in found if i.decision is not None),
            "rejected": sum(1 for i in found if i.decision == "rejected"),
            "item_count": len(found),
            "source": source,
            "editing": request.query_params.get("edit", ""),
            "state_label": STATE_LABELS.get(module.state, module.state),
            "editable": module.state in modules.EDITABLE_STATES,
            "may_publish": who.reviewer and module.state == "in_review",
            "is_admin": who.admin,
            "may_delete_pdf": module.created_by == who.user_id or who.admin,
            "has_pdf": doc is not None and doc.pdf_object_id is not None,
            "filename": doc.filename if doc is not None else "",
            "groups": [(g.id, g.name) for g in group_rows],
            "transitions": transitions,
            "may_generate": page.ai_enabled and page.may(Permission.GENERATE_MODULES.value),
            "may_generate_questions": page.ai_enabled and page.may(Permission.GENERATE_QUESTIONS.value),
            "cover": covers_api.read_cover(module_id, page.principal, db, runtime),
            "lesson_covers": covers_api.lesson_cover_states(runtime, db, page.principal, module_id),
            "true_false": TRUE_FALSE_OPTIONS,
            "exports": _exports(db, module, content),
            "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
            "errors": errors or {},
            "values": values or {},
        }
    headers = {"HX-Replace-Url": f"/author/modules/{module_id}?part={part}"}
    return render(request, "authoring/module.html", context, status_code=status_code, headers=headers)


def _exports(db: Session, module: Module, content: ModuleContent) -> list[Any]:
    """What each LMS format carries of the module without its rejected items (none if every lesson is)."""
    try:
        return exports.coverage(
            items.for_export(db, module=module, content=content), pass_mark=module.pass_mark
        )
    except NothingLeft:
        return []


def _by_anchor(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["anchor"]] = counts.get(f["anchor"], 0) + 1
    return counts


@router.get("/author/modules/{module_id}")
def review_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """A module beside its sources, with its check report, each item's decision and the workflow (as
    GET /api/modules/{id}, GET /api/modules/{id}/checks and GET /api/modules/{id}/items)."""
    return review_view(request, runtime, page, module_id)


@router.get("/author/modules/{module_id}/source")
def source_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """One page of the source document with a quote highlighted: the source panel's content for htmx, else
    a page of its own."""
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
        _, own = modules.source_of(runtime, db, module=module)
        extraction, name = cited_document(
            runtime, db, module=module, document_id=request.query_params.get("document"), default=own
        )
        title = module.title
        recording = recordings_page.recording_of(db, module_document_id=module.document_id, org_id=org_id)
    if extraction is None or not any(p.number == number for p in extraction.pages):
        raise NotFound(f"the source document has no page {number}")
    label = request.query_params.get("label", "")[:80]
    where = stretch(extraction, number, number)  # "page 3", or "0:12–0:18" in a recording
    heading = f"{where} in the recording" if extraction.times else f"{where[:1].upper()}{where[1:]} of {name}"
    context = {
        "title": heading,
        "module_id": module_id,
        "module_title": title,
        "source": source_view(extraction, number=number, quote=quote, label=label, document=name),
        "recording": recording,
    }
    fragment = bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")
    return render(request, "authoring/_source.html" if fragment else "authoring/source.html", context)


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
    next to the control that caused it; on the part holding the item (else the part it was sent from)."""
    came_from = parse_qs(urlparse(request.headers.get("referer", "")).query).get("part", [""])[0]
    part = part_of(key) or (came_from if re.fullmatch(r"chapter-\d+|questions", came_from) else "")
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
        query = f"part={part}&" if part else ""
        return RedirectResponse(f"/author/modules/{module_id}?{query}notice={notice}#{key}", status_code=303)
    return review_view(
        request,
        runtime,
        page,
        module_id,
        errors=errors,
        values=values,
        status_code=status_code,
        part=part,
    )
