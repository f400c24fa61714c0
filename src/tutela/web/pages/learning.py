"""Learner pages: the modules published to the learner's groups with their progress, a module's outline and
attempt history, its lessons one at a time (opening one records it, so the learner resumes there), and the
source PDF where its author attached it. The quiz is in `quiz.py`.

Reads go through the REST routers' own functions, so a learner sees exactly what `/api/modules` shows them
(no answer key) and anyone else gets the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tutela.authoring.covers import service as covers
from tutela.authoring.learning import router as learning_api
from tutela.authoring.learning import service as learning
from tutela.authoring.learning.schemas import LessonSeen, ProgressRead
from tutela.authoring.modules import router as modules_api
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.schemas import AttemptRead, ModuleRead
from tutela.authoring.publishing import router as publishing_api
from tutela.core.auth.dependencies import RuntimeDep
from tutela.errors import NotFound
from tutela.runtime import Runtime
from tutela.web.routing import page_router
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()


@dataclass(frozen=True)
class Opened:
    """A module as its learner meets it: content, their progress, their attempts (newest first)."""

    module: ModuleRead
    progress: ProgressRead
    attempts: list[AttemptRead]
    lessons: list[dict[str, Any]]


def lessons_of(module: ModuleRead) -> list[dict[str, Any]]:
    """Every lesson in order, numbered across chapters (as the progress API numbers them)."""
    rows: list[dict[str, Any]] = []
    for c, chapter in enumerate(module.content.get("chapters", [])):
        for lesson in chapter["lessons"]:
            rows.append({"n": len(rows), "chapter": c, "chapter_title": chapter["title"], **lesson})
    return rows


def open_module(runtime: Runtime, page: UserPage, module_id: str, *, lesson: int | None = None) -> Opened:
    """Read a module for its learner; with `lesson`, record that they opened it (published modules only)."""
    org_id, principal = page.principal.org_id, page.principal
    with runtime.region_session(org_id) as db:
        modules.viewer(db, org_id=org_id, user_id=principal.user_id)
        module = modules_api.read_module(module_id, principal, db, runtime)
        lessons = lessons_of(module)
        if lesson is not None and not 0 <= lesson < len(lessons):
            raise NotFound(f"this module has no lesson {lesson + 1}")
        if lesson is not None and module.state == "published":
            progress = learning_api.record_lesson(
                module_id, LessonSeen(lesson=lesson), principal, db, runtime
            )
        else:
            progress = learning_api.read_progress(module_id, principal, db, runtime)
        attempts = [
            a
            for a in publishing_api.list_attempts(module_id, principal, db)
            if a.user_id == principal.user_id
        ]
    return Opened(module, progress, list(reversed(attempts)), lessons)


def published_cards(db: Session, runtime: Runtime, page: UserPage) -> list[dict[str, Any]]:
    """The published modules the user may see, each with their progress (for /learn and the home page)."""
    org_id, user_id = page.principal.org_id, page.principal.user_id
    who = modules.viewer(db, org_id=org_id, user_id=user_id)
    cards = []
    for module in modules.list_modules(db, org_id=org_id, who=who, state="published"):
        content = modules.read_content(runtime, db, module=module)
        progress = learning.read(
            module, content, learning.progress_of(db, module=module, user_id=user_id), user_id=user_id
        )
        cards.append(
            {
                "id": module.id,
                "title": module.title,
                "published_at": module.published_at,
                "progress": progress,
            }
        )
    return cards


@router.get("/learn")
def learn_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The published modules the user may see (as GET /api/modules?state=published), with their progress."""
    with runtime.region_session(page.principal.org_id) as db:
        cards = published_cards(db, runtime, page)
    return render(request, "learning/modules.html", {"title": "Learning", "modules": cards})


@router.get("/learn/{module_id}")
def module_page(module_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """A module's start page: summary, objectives, the outline with lessons seen, progress, where to resume,
    the quiz and the learner's attempts."""
    opened = open_module(runtime, page, module_id)
    with runtime.region_session(page.principal.org_id) as db:
        cover = covers.has_cover(db, org_id=page.principal.org_id, module_id=opened.module.id)
    context = {"title": opened.module.title, "has_cover": cover, **opened.__dict__}
    return render(request, "learning/module.html", context)


@router.get("/learn/{module_id}/lessons/{number}")
def lesson_page(
    module_id: str, number: int, request: Request, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """One lesson (numbered from 1 across chapters) with its cover image, the outline and previous/next;
    opening it records it as seen and as the place to resume (as POST /api/modules/{id}/progress)."""
    opened = open_module(runtime, page, module_id, lesson=number - 1)
    lesson = opened.lessons[number - 1]
    with runtime.region_session(page.principal.org_id) as db:
        cover = covers.has_cover(db, org_id=page.principal.org_id, module_id=module_id, lesson=number)
    context = {
        "title": f"{lesson['title']} · {opened.module.title}",
        "lesson": lesson,
        "has_cover": cover,
        **opened.__dict__,
    }
    return render(request, "learning/lesson.html", context)


@router.get("/learn/{module_id}/attachment")
def attachment(module_id: str, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The source PDF, where the author attached it (as GET /api/modules/{id}/attachment)."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        return publishing_api.download_attachment(module_id, page.principal, db, runtime)
