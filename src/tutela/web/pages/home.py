"""The home page: who you are, your modules and your progress in them, what your roles let you do, and where
to go."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from tutela.core.auth.dependencies import RuntimeDep
from tutela.web.labels import PERMISSION_LABELS, ROLE_LABELS
from tutela.web.pages.learning import published_cards
from tutela.web.routing import page_router
from tutela.web.session import session_kind, user_page
from tutela.web.templating import render

router = page_router()


@router.get("/")
def home(request: Request, runtime: RuntimeDep) -> Response:
    """Staff go to the platform pages; users see their dashboard; anyone else is asked to sign in."""
    if session_kind(request) == "staff":
        return RedirectResponse("/platform", status_code=303)
    page = user_page(request, runtime)
    with runtime.region_session(page.principal.org_id) as db:
        cards = published_cards(db, runtime, page)
    return render(
        request,
        "home.html",
        {
            "title": "Home",
            "roles": [ROLE_LABELS[r] for r in sorted(page.roles, key=list(ROLE_LABELS).index)],
            "granted": [label for p, label in PERMISSION_LABELS.items() if p in page.granted],
            "modules": cards,
        },
    )
