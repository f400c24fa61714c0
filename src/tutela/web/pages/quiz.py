"""The quiz of a published module, as its author chose: every question on one page, or one question at a
time (earlier answers ride along as hidden fields, so it works without JavaScript and keeps nothing on the
server until the learner sends). Then the score against the pass mark, and each question's answer,
explanation, source page and quote.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from starlette.datastructures import FormData

from tutela.authoring.modules import service as modules
from tutela.authoring.modules.schemas import AttemptCreate, ModuleRead
from tutela.authoring.publishing import router as publishing_api
from tutela.core.auth.dependencies import RuntimeDep
from tutela.errors import NotFound, TutelaError
from tutela.runtime import Runtime
from tutela.web.pages.learning import Opened, open_module
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

TYPE_HINTS = {
    "single_choice": "Choose one answer.",
    "multiple_choice": "Choose every correct answer.",
    "true_false": "Choose true or false.",
    "fill_in_blank": "Type the missing words.",
    "short_answer": "Type a short answer.",
}
TRUE_FALSE_LABELS = {
    "en": {"true": "True", "false": "False"},
    "de": {"true": "Wahr", "false": "Falsch"},
}
UNANSWERED = "Answer this question before going on."


def _labels(module: ModuleRead) -> dict[str, str]:
    return TRUE_FALSE_LABELS.get(module.language, TRUE_FALSE_LABELS["en"])


def _questions(module: ModuleRead) -> list[dict[str, Any]]:
    return list(module.content.get("questions", []))


def _quiz_page(
    request: Request,
    opened: Opened,
    *,
    step: int | None = None,
    errors: dict[str, str] | None = None,
    given: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    """The quiz form: every question, or (one at a time) question `step` with the others' answers hidden."""
    module = opened.module
    questions = _questions(module)
    one_at_a_time = module.quiz_mode == "one" and len(questions) > 1
    shown = [step if step is not None else 0] if one_at_a_time else list(range(len(questions)))
    context: dict[str, Any] = {
        "title": f"Quiz: {module.title}",
        "module": module,
        "progress": opened.progress,
        "questions": questions,
        "shown": shown,
        "one_at_a_time": one_at_a_time,
        "hints": TYPE_HINTS,
        "tf_labels": _labels(module),
        "errors": errors or {},
        "given": given or {},
    }
    return render(request, "learning/quiz.html", context, status_code=status_code)


def _opened_quiz(runtime: Runtime, page: UserPage, module_id: str) -> Opened:
    opened = open_module(runtime, page, module_id)
    if opened.module.state != "published" or not _questions(opened.module):
        raise NotFound("this module has no quiz open")
    return opened


@router.get("/learn/{module_id}/quiz")
def quiz_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The quiz: one fieldset per question, radio buttons, checkboxes or a text field by its type."""
    return _quiz_page(request, _opened_quiz(runtime, page, module_id))


def _given(form: FormData, questions: list[dict[str, Any]]) -> dict[str, list[str]]:
    given: dict[str, list[str]] = {}
    for i, question in enumerate(questions):
        name = f"q{i}"
        if question["type"] in ("fill_in_blank", "short_answer"):
            value = text(form, name)
            given[name] = [value] if value else []
        else:
            given[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
    return given


def _step(form: FormData, count: int) -> int:
    try:
        return min(max(int(text(form, "step") or 0), 0), count - 1)
    except ValueError:
        return 0


@router.post("/learn/{module_id}/quiz")
def submit_quiz(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """One at a time: go to the previous or next question. Otherwise (or from the last question) record the
    answers and show the score with every question's answer, explanation and source (as
    POST /api/modules/{id}/attempts)."""
    opened = _opened_quiz(runtime, page, module_id)
    module = opened.module
    questions = _questions(module)
    given = _given(form, questions)
    if module.quiz_mode == "one" and len(questions) > 1:
        step, go = _step(form, len(questions)), text(form, "go")
        if go == "back":
            return _quiz_page(request, opened, step=max(step - 1, 0), given=given)
        if not given[f"q{step}"]:
            errors = {f"q{step}": UNANSWERED}
            return _quiz_page(request, opened, step=step, errors=errors, given=given, status_code=422)
        if go == "next" and step < len(questions) - 1:
            return _quiz_page(request, opened, step=step + 1, given=given)
    missing = [i for i in range(len(questions)) if not given[f"q{i}"]]
    if missing:
        errors = {f"q{i}": UNANSWERED for i in missing}
        return _quiz_page(request, opened, step=missing[0], errors=errors, given=given, status_code=422)
    answers = [given[f"q{i}"] for i in range(len(questions))]
    org_id = page.principal.org_id
    try:
        with runtime.region_session(org_id) as db:
            modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
            result = publishing_api.take_quiz(
                module_id, AttemptCreate(answers=answers), page.principal, db, runtime
            )
    except NotFound:
        raise
    except TutelaError as exc:
        errors, status_code = refusal(exc)
        return _quiz_page(request, opened, errors=errors, given=given, status_code=status_code)
    rows = [
        {
            "question": q,
            "given": answers[i],
            "correct": result.results[i],
            "answer": result.key[i]["answer"],
            "explanation": result.key[i]["explanation"],
            "citation": result.key[i]["citation"],
        }
        for i, q in enumerate(questions)
    ]
    after = open_module(runtime, page, module_id)
    context = {
        "title": f"Your score: {module.title}",
        "module": module,
        "rows": rows,
        "attempt": result,
        "percent": round(result.score * 100),
        "progress": after.progress,
        "tf_labels": _labels(module),
    }
    return render(request, "learning/result.html", context)
