"""Every page router, and the static files under /static (served from the package, no build step)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from tutela.errors import NotFound
from tutela.web.pages import (
    ai,
    audit,
    auth,
    authoring,
    completion,
    covers,
    exports,
    home,
    learning,
    library,
    limits,
    module_edits,
    module_review,
    monitoring,
    notifications,
    organization,
    people,
    platform,
    prompts,
    quiz,
    recordings,
    review,
    reviewers,
    safety,
    usage,
)
from tutela.web.routing import page_router

MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

static_router = page_router()


@cache
def static_files() -> dict[str, Path]:
    """The files that may be served: exactly those shipped in `tutela/web/static`, by name."""
    folder = Path(str(files("tutela.web") / "static"))
    return {p.name: p for p in folder.iterdir() if p.is_file() and p.suffix in MEDIA_TYPES}


@static_router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """One static file (a fixed list, so no path can leave the folder)."""
    path = static_files().get(name)
    if path is None:
        raise NotFound(f"no static file named {name!r}")
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=3600"}
    )


router = APIRouter(include_in_schema=False)
for module_router in (
    static_router,
    auth.router,
    home.router,
    people.router,
    organization.router,
    ai.router,
    limits.router,
    usage.router,
    audit.router,
    platform.router,
    prompts.router,
    safety.router,
    monitoring.router,
    review.router,
    library.router,
    authoring.router,
    module_review.router,
    module_edits.router,
    recordings.router,
    covers.router,
    exports.router,
    completion.router,
    learning.router,
    quiz.router,
    notifications.router,
    reviewers.router,
):
    router.include_router(module_router)
