"""The cover image part of the module review page: generate a proposal, then use it or discard it (as
POST /api/modules/{id}/cover/proposal and /cover/decision)."""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from tutela.authoring.covers import router as covers_api
from tutela.authoring.covers.schemas import CoverDecision, CoverGenerate
from tutela.authoring.modules import service as modules
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.web.pages.authoring import act
from tutela.web.routing import Form, page_router, text
from tutela.web.session import UserPageDep

router = page_router()


@router.post("/author/modules/{module_id}/cover")
def generate_cover(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Generate a proposed cover image from the (edited) prompt with the chosen image deployment."""
    prompt, deployment = text(form, "prompt"), text(form, "deployment")

    def action(db: Session, who: modules.Viewer) -> str:
        permissions.require(
            db,
            org_id=page.principal.org_id,
            user_id=page.principal.user_id,
            permission=Permission.GENERATE_MODULES,
        )
        body = CoverGenerate(prompt=prompt, deployment=deployment)
        covers_api.propose_cover(module_id, body, page.principal, db, runtime)
        return "cover-proposed"

    values = {"cover_prompt": prompt, "cover_deployment": deployment}
    return act(request, runtime, page, module_id, key="cover", action=action, values=values)


@router.post("/author/modules/{module_id}/cover/decision")
def decide_cover(
    module_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Use the proposed image as the module's cover, or discard it."""
    accept = text(form, "accept") == "true"

    def action(db: Session, who: modules.Viewer) -> str:
        # Deciding is an edit: only the module's editors (roles read through the matrix) may.
        modules.require_editor(
            modules.viewer(db, org_id=page.principal.org_id, user_id=page.principal.user_id),
            modules.module_for(db, org_id=page.principal.org_id, who=who, module_id=module_id),
        )
        covers_api.decide_cover(module_id, CoverDecision(accept=accept), page.principal, db, runtime)
        return "cover-accepted" if accept else "cover-discarded"

    return act(request, runtime, page, module_id, key="cover", action=action)
