"""The home page: who you are, your modules and your progress in them, what your roles let you do, and where
to go."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from tutela.authoring.modules import service as modules
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.web.labels import PERMISSION_LABELS, ROLE_LABELS
from tutela.web.pages.authoring import STAGE_LABELS, STATE_LABELS
from tutela.web.pages.learning import published_cards
from tutela.web.routing import page_router
from tutela.web.session import UserPage, session_kind, user_page
from tutela.web.templating import render

router = page_router()


RECENT = 5


def publisher_names(db: Session, *, org_id: str) -> list[str]:
    """Who may publish modules in the organization, as an author is told."""
    return [
        f"{u.display_name} ({u.email})" if u.display_name else u.email
        for u in permissions.holders(db, org_id=org_id, permission=Permission.REVIEW_PUBLISH)
    ]


def _authoring(db: Session, page: UserPage) -> dict[str, Any]:
    """An author's recent modules with their states, generations in progress, what waits for their review,
    and who may publish (when they may not)."""
    org_id, user_id = page.principal.org_id, page.principal.user_id
    who = modules.viewer(db, org_id=org_id, user_id=user_id)
    found = modules.list_modules(db, org_id=org_id, who=who)
    mine = sorted((m for m in found if m.created_by == user_id), key=lambda m: m.updated_at, reverse=True)
    publishers = [] if who.reviewer else publisher_names(db, org_id=org_id)
    return {
        "recent": [
            {
                "id": m.id,
                "title": m.title,
                "state": m.state,
                "label": STATE_LABELS[m.state],
                "at": m.updated_at,
            }
            for m in mine[:RECENT]
        ],
        "jobs": [
            {"id": j.id, "stage": STAGE_LABELS.get(j.stage, j.stage), "percent": j.percent}
            for j in modules.jobs_in_progress(db, org_id=org_id, user_id=user_id)
        ],
        "to_review": [
            {"id": m.id, "title": m.title} for m in found if who.reviewer and m.state == "in_review"
        ],
        "publishers": publishers,
    }


@router.get("/")
def home(request: Request, runtime: RuntimeDep) -> Response:
    """Staff go to the platform pages; users see their dashboard; anyone else is asked to sign in."""
    if session_kind(request) == "staff":
        return RedirectResponse("/platform", status_code=303)
    page = user_page(request, runtime)
    with runtime.region_session(page.principal.org_id) as db:
        cards = published_cards(db, runtime, page)
        authoring = Permission.GENERATE_MODULES.value, Permission.REVIEW_PUBLISH.value
        work = _authoring(db, page) if any(page.may(p) for p in authoring) else {}
    return render(
        request,
        "home.html",
        {
            "title": "Home",
            "roles": [ROLE_LABELS[r] for r in sorted(page.roles, key=list(ROLE_LABELS).index)],
            "granted": [label for p, label in PERMISSION_LABELS.items() if p in page.granted],
            "modules": cards,
            "work": work,
        },
    )
