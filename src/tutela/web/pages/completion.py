"""How far learners got: for each published module the user authored, reviews or administers, the members of
each group it is published to who started and completed it, as bars (as GET /api/modules/{id}/completion)."""

from __future__ import annotations

from fastapi import Request, Response

from tutela.authoring.learning import service as learning
from tutela.authoring.modules import service as modules
from tutela.core.auth.dependencies import RuntimeDep
from tutela.errors import PermissionDenied
from tutela.web.routing import page_router
from tutela.web.session import UserPageDep
from tutela.web.templating import render

router = page_router()


@router.get("/author/completion")
def completion_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Completion per published module and group."""
    org_id, user_id = page.principal.org_id, page.principal.user_id
    with runtime.region_session(org_id) as db:
        who = modules.viewer(db, org_id=org_id, user_id=user_id)
        if not (who.reviewer or who.admin or page.may("ai.generate_modules")):
            raise PermissionDenied("only authors, reviewers and admins see how far learners got")
        found = [
            m
            for m in modules.list_modules(db, org_id=org_id, who=who, state="published")
            if modules.is_staff_for(who, m)
        ]
        reports = [{"id": m.id, "title": m.title, "report": learning.completion(db, module=m)} for m in found]
    return render(request, "authoring/completion.html", {"title": "Completion", "reports": reports})
