"""Learner pages: the modules published to the learner's groups, reading one, taking its quiz, the score
with explanations, and the source PDF where its author attached it.

Reads and the quiz go through the REST routers' own functions, so a learner sees exactly what
`/api/modules` shows them (no answer key before answering) and anyone else gets the same 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from tutela.authoring.covers import service as covers
from tutela.authoring.modules import router as modules_api
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.schemas import AttemptCreate, ModuleRead
from tutela.authoring.publishing import router as publishing_api
from tutela.core.auth.dependencies import RuntimeDep
from tutela.errors import NotFound, TutelaError
from tutela.runtime import Runtime
from tutela.web.routing import Form, page_router, refusal
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


def _read(runtime: Runtime, page: UserPage, module_id: str) -> ModuleRead:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        return modules_api.read_module(module_id, page.principal, db, runtime)


def _labels(module: ModuleRead) -> dict[str, str]:
    return TRUE_FALSE_LABELS.get(module.language, TRUE_FALSE_LABELS["en"])


@router.get("/learn")
def learn_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The published modules the user may see (as GET /api/modules?state=published)."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        found = modules.list_modules(db, org_id=org_id, who=who, state="published")
        rows = [{"id": m.id, "title": m.title, "published_at": m.published_at} for m in found]
    return render(request, "learning/modules.html", {"title": "Learning", "modules": rows})


@router.get("/learn/{module_id}")
def module_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Read a module: summary, objectives, chapters and lessons (as GET /api/modules/{id})."""
    module = _read(runtime, page, module_id)
    with runtime.region_session(page.principal.org_id) as db:
        cover = covers.has_cover(db, org_id=page.principal.org_id, module_id=module.id)
    context = {"title": module.title, "module": module, "has_cover": cover}
    return render(request, "learning/module.html", context)


@router.get("/learn/{module_id}/attachment")
def attachment(module_id: str, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The source PDF, where the author attached it (as GET /api/modules/{id}/attachment)."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        return publishing_api.download_attachment(module_id, page.principal, db, runtime)


def _quiz_page(
    request: Request,
    module: ModuleRead,
    *,
    errors: dict[str, str] | None = None,
    given: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "title": f"Quiz: {module.title}",
        "module": module,
        "hints": TYPE_HINTS,
        "tf_labels": _labels(module),
        "errors": errors or {},
        "given": given or {},
    }
    return render(request, "learning/quiz.html", context, status_code=status_code)


@router.get("/learn/{module_id}/quiz")
def quiz_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The quiz: one fieldset per question, radio buttons, checkboxes or a text field by its type."""
    module = _read(runtime, page, module_id)
    if module.state != "published":
        raise NotFound(f"module {module_id!r} has no quiz open yet")
    return _quiz_page(request, module)


@router.post("/learn/{module_id}/quiz")
def submit_quiz(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Record the answers and show the score with every question's answer and explanation (as
    POST /api/modules/{id}/attempts)."""
    module = _read(runtime, page, module_id)
    questions: list[dict[str, Any]] = module.content.get("questions", [])
    given: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for i, question in enumerate(questions):
        name = f"q{i}"
        if question["type"] in ("fill_in_blank", "short_answer"):
            value = str(form.get(name, "")).strip()
            given[name] = [value] if value else []
        else:
            given[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
        if not given[name]:
            errors[name] = "Answer this question before sending the quiz."
    if errors:
        return _quiz_page(request, module, errors=errors, given=given, status_code=422)
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
        return _quiz_page(request, module, errors=errors, given=given, status_code=status_code)
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
    context = {
        "title": f"Your score: {module.title}",
        "module": module,
        "rows": rows,
        "correct": result.correct,
        "total": result.total,
        "percent": round(result.score * 100),
        "tf_labels": _labels(module),
    }
    return render(request, "learning/result.html", context)
