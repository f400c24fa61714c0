"""Changes made from the module review page: edit, accept, reject or regenerate one lesson or question (or
a whole chapter), move the module along the workflow, its quiz settings and its source PDF.

Each one goes through the REST routers' own functions and comes back to the review page at the item it
changed (`#lesson-0-1`), or to the page with the error next to the control that caused it. htmx posts
the same forms and swaps only that item in place.
"""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tutela.authoring.generation.schemas import TRUE_FALSE_OPTIONS, ModuleLesson, Question
from tutela.authoring.modules import parts_router as parts_api
from tutela.authoring.modules import router as modules_api
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.schemas import DecisionChange, ModulePatch, RegenerateRequest, StateChange
from tutela.authoring.publishing import router as publishing_api
from tutela.core.auth.dependencies import RuntimeDep
from tutela.errors import InvalidInput, NotFound
from tutela.web.pages.module_review import act
from tutela.web.routing import Form, page_router, text
from tutela.web.session import UserPageDep

router = page_router()
DECISIONS = {"accepted": "accepted", "rejected": "rejected", "undecided": None}


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
        parts_api.regenerate_chapter(module_id, chapter, RegenerateRequest(), page.principal, db, runtime)
        return "regenerated"

    return act(request, runtime, page, module_id, key=f"chapter-{chapter}", action=action)


@router.post("/author/modules/{module_id}/questions/{index}/regenerate")
def regenerate_question(
    module_id: str, index: int, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Write one question again (as POST /api/modules/{id}/questions/{i}/regenerate)."""

    def action(db: Session, who: modules.Viewer) -> str:
        parts_api.regenerate_question(module_id, index, RegenerateRequest(), page.principal, db, runtime)
        return "regenerated"

    return act(request, runtime, page, module_id, key=f"question-{index}", action=action)


@router.post("/author/modules/{module_id}/chapters/{chapter}/lessons/{lesson}/regenerate")
def regenerate_lesson(
    module_id: str,
    chapter: int,
    lesson: int,
    request: Request,
    form: Form,
    page: UserPageDep,
    runtime: RuntimeDep,
) -> Response:
    """Write one lesson again, the others kept (as POST …/chapters/{c}/lessons/{l}/regenerate)."""

    def action(db: Session, who: modules.Viewer) -> str:
        parts_api.regenerate_lesson(
            module_id, chapter, lesson, RegenerateRequest(), page.principal, db, runtime
        )
        return "regenerated"

    return act(request, runtime, page, module_id, key=f"lesson-{chapter}-{lesson}", action=action)


def _decision(form: Form) -> DecisionChange:
    choice = text(form, "decision")
    if choice not in DECISIONS:
        raise InvalidInput("choose accept, reject or undo", param="decision")
    return DecisionChange.model_validate({"decision": DECISIONS[choice]})


@router.post("/author/modules/{module_id}/chapters/{chapter}/lessons/{lesson}/decision")
def decide_lesson(
    module_id: str,
    chapter: int,
    lesson: int,
    request: Request,
    form: Form,
    page: UserPageDep,
    runtime: RuntimeDep,
) -> Response:
    """Accept or reject one lesson, or undo (as PUT /api/modules/{id}/chapters/{c}/lessons/{l}/decision)."""

    def action(db: Session, who: modules.Viewer) -> str:
        parts_api.decide_lesson(module_id, chapter, lesson, _decision(form), page.principal, db, runtime)
        return "decided"

    return act(request, runtime, page, module_id, key=f"lesson-{chapter}-{lesson}", action=action)


@router.post("/author/modules/{module_id}/questions/{index}/decision")
def decide_question(
    module_id: str, index: int, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Accept or reject one question, or undo (as PUT /api/modules/{id}/questions/{i}/decision)."""

    def action(db: Session, who: modules.Viewer) -> str:
        parts_api.decide_question(module_id, index, _decision(form), page.principal, db, runtime)
        return "decided"

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
