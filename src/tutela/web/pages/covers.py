"""The cover image parts of the module review page, for the module and for each lesson: generate a proposal,
then use it or discard it (as POST /api/modules/{id}[/lessons/{n}]/cover/proposal and …/cover/decision)."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tutela.authoring.covers import router as covers_api
from tutela.authoring.covers.router import LessonNumber
from tutela.authoring.covers.schemas import CoverDecision, CoverGenerate
from tutela.authoring.modules import service as modules
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.runtime import Runtime
from tutela.web.pages.module_review import act
from tutela.web.routing import Form, page_router, text
from tutela.web.session import UserPage, UserPageDep

router = page_router()


def _generate(
    request: Request, form: Form, page: UserPage, runtime: Runtime, module_id: str, lesson: int
) -> Response:
    prompt, deployment = text(form, "prompt"), text(form, "deployment")

    def action(db: Session, who: modules.Viewer) -> str:
        permissions.require(
            db,
            org_id=page.principal.org_id,
            user_id=page.principal.user_id,
            permission=Permission.GENERATE_MODULES,
        )
        body = CoverGenerate(prompt=prompt, deployment=deployment)
        if lesson:
            covers_api.propose_lesson_cover(module_id, lesson, body, page.principal, db, runtime)
        else:
            covers_api.propose_cover(module_id, body, page.principal, db, runtime)
        return "cover-proposed"

    key = _key(lesson)
    values = {f"{key}_prompt": prompt, f"{key}_deployment": deployment}
    return act(request, runtime, page, module_id, key=key, action=action, values=values)


def _decide(
    request: Request, form: Form, page: UserPage, runtime: Runtime, module_id: str, lesson: int
) -> Response:
    accept = text(form, "accept") == "true"

    def action(db: Session, who: modules.Viewer) -> str:
        # Deciding is an edit: only the module's editors (roles read through the matrix) may.
        modules.require_editor(
            modules.viewer(db, org_id=page.principal.org_id, user_id=page.principal.user_id),
            modules.module_for(db, org_id=page.principal.org_id, who=who, module_id=module_id),
        )
        body = CoverDecision(accept=accept)
        if lesson:
            covers_api.decide_lesson_cover(module_id, lesson, body, page.principal, db, runtime)
            return "lesson-cover-accepted" if accept else "cover-discarded"
        covers_api.decide_cover(module_id, body, page.principal, db, runtime)
        return "cover-accepted" if accept else "cover-discarded"

    return act(request, runtime, page, module_id, key=_key(lesson), action=action)


def _key(lesson: int) -> str:
    """The review page's anchor (and error key) of the module's cover or lesson n's."""
    return f"lesson-cover-{lesson}" if lesson else "cover"


@router.post("/author/modules/{module_id}/cover")
def generate_cover(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Generate a proposed cover image from the (edited) prompt with the chosen image deployment."""
    return _generate(request, form, page, runtime, module_id, 0)


@router.post("/author/modules/{module_id}/cover/decision")
def decide_cover(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Use the proposed image as the module's cover, or discard it."""
    return _decide(request, form, page, runtime, module_id, 0)


@router.post("/author/modules/{module_id}/lessons/{lesson}/cover")
def generate_lesson_cover(
    module_id: str,
    lesson: LessonNumber,
    request: Request,
    form: Form,
    page: UserPageDep,
    runtime: RuntimeDep,
) -> Response:
    """Generate a proposed cover image for lesson n (numbered from 1 across chapters)."""
    return _generate(request, form, page, runtime, module_id, lesson)


@router.post("/author/modules/{module_id}/lessons/{lesson}/cover/decision")
def decide_lesson_cover(
    module_id: str,
    lesson: LessonNumber,
    request: Request,
    form: Form,
    page: UserPageDep,
    runtime: RuntimeDep,
) -> Response:
    """Use the proposed image as the lesson's cover, or discard it."""
    return _decide(request, form, page, runtime, module_id, lesson)
