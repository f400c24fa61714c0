"""The reviewers block of a module's review page: who may publish, who is asked to review, and sending a
module back to its author with a comment (as GET/PUT /api/modules/{id}/reviewers and POST .../state)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tutela.authoring.modules import service as modules
from tutela.authoring.modules.models import Module
from tutela.authoring.modules.schemas import StateChange
from tutela.authoring.publishing import reviewers
from tutela.authoring.publishing import router as publishing_api
from tutela.authoring.publishing.schemas import ReviewersSet
from tutela.core.auth.dependencies import RuntimeDep
from tutela.web.routing import Form, page_router, text
from tutela.web.session import UserPage, UserPageDep

router = page_router()


def reviewers_panel(db: Session, *, module: Module, who: modules.Viewer) -> dict[str, Any]:
    """What authoring/_reviewers.html shows."""
    candidates = reviewers.candidates(db, org_id=module.org_id)
    chosen = {u.id for u in reviewers.assigned(db, module=module)}
    return {
        "publishers": [reviewers.name_of(u) for u in candidates],
        "assigned": [reviewers.name_of(u) for u in candidates if u.id in chosen],
        "candidates": [(u.id, reviewers.name_of(u), u.id in chosen) for u in candidates],
        "may_assign": module.state in ("draft", "in_review") and modules.can_edit(who, module),
        "may_send_back": module.state == "in_review" and who.reviewer,
    }


def _caller(db: Session, page: UserPage) -> modules.Viewer:
    """The caller's roles and groups, read through the permission matrix (the API functions called next check
    edit and publish rights against them again)."""
    return modules.viewer(db, org_id=page.principal.org_id, user_id=page.principal.user_id)


@router.post("/author/modules/{module_id}/reviewers")
def set_reviewers(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Ask these people to review the module."""
    from tutela.web.pages.module_review import act  # module_review imports reviewers_panel from here

    chosen = [v for v in form.getlist("reviewer_ids") if isinstance(v, str) and v]

    def action(db: Session, _: modules.Viewer) -> str:
        _caller(db, page)
        body = ReviewersSet(user_ids=chosen)
        publishing_api.set_reviewers(module_id, body, page.principal, db, runtime)
        return "reviewers"

    return act(request, runtime, page, module_id, key="reviewers", action=action)


@router.post("/author/modules/{module_id}/send-back")
def send_back(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Move a module in review back to draft; its author is told, with the comment."""
    from tutela.web.pages.module_review import act  # module_review imports reviewers_panel from here

    comment = text(form, "comment")

    def action(db: Session, _: modules.Viewer) -> str:
        _caller(db, page)
        body = StateChange(state="draft", comment=comment or None)
        publishing_api.change_state(module_id, body, page.principal, db, runtime)
        return "sent-back"

    return act(request, runtime, page, module_id, key="send-back", action=action, values={"comment": comment})
