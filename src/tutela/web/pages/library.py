"""The AI library page: which of your documents AI resources may quote ("on your data"), and sharing them.

Each document its uploader (or an admin) manages is listed with whether it is in the library and which AI
resources' keys may retrieve from it; sharing and removing go through `/api/documents/{id}/library`'s own
functions, so the page checks and audits exactly what the API does.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.authoring.library import router as library_api
from tutela.authoring.modules import service as modules
from tutela.core.auth.dependencies import RuntimeDep
from tutela.errors import NotFound, TutelaError
from tutela.gateway.library import service as library
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime
from tutela.web.pages.authoring import require_author_pages
from tutela.web.routing import Form, page_router, refusal
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

NOTICES = {
    "shared": "The document is in the AI library: the AI resources you chose may now quote it.",
    "removed": "The document was taken out of the AI library; its index was deleted.",
}


def _library_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    require_author_pages(page)
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        who = modules.viewer(db, org_id=org_id, user_id=page.principal.user_id)
        names = {r.id: r.name for r in resources.list_resources(db, org_id=org_id)}
        rows: list[dict[str, Any]] = []
        for doc in modules.list_documents(db, org_id=org_id, who=who):
            entry = library.find(db, org_id=org_id, source_id=doc.id)
            shared = library.shared_with(db, org_id=org_id, document_id=entry.id) if entry else []
            rows.append(
                {
                    "id": doc.id,
                    "filename": doc.filename,
                    "pages": doc.page_count,
                    "title": entry.title if entry else None,
                    "chunks": entry.chunk_count if entry else 0,
                    "shared": [names.get(r, r) for r in shared],
                    "shared_ids": set(shared),
                }
            )
    context = {
        "title": "AI library",
        "documents": rows,
        "resources": sorted(names.items(), key=lambda item: item[1]),
        "errors": errors or {},
        "notice": NOTICES.get(request.query_params.get("notice", "")),
    }
    return render(request, "authoring/library.html", context, status_code=status_code)


@router.get("/author/library")
def library_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Your documents and whether AI resources may quote them."""
    return _library_page(request, runtime, page)


def _change(
    request: Request, runtime: Runtime, page: UserPage, document_id: str, *, share: list[str] | None
) -> Response:
    org_id = page.principal.org_id
    try:
        with runtime.region_session(org_id) as db:
            if share is None:
                library_api.unshare_document(document_id, page.principal, db, runtime)
            else:
                body = library_api.LibraryShareBody.model_validate({"resources": share})
                library_api.share_document(document_id, body, page.principal, db, runtime)
    except NotFound:
        raise
    except (ValidationError, TutelaError) as exc:
        if isinstance(exc, ValidationError):
            message = "Choose at least one AI resource that may quote the document."
        else:
            message = refusal(exc).message
        return _library_page(request, runtime, page, errors={document_id: message}, status_code=422)
    notice = "removed" if share is None else "shared"
    return RedirectResponse(f"/author/library?notice={notice}#doc-{document_id}", status_code=303)


@router.post("/author/library/{document_id}/share")
def share(document_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Put the document in the library for exactly the AI resources ticked (as PUT .../library)."""
    chosen = [v for v in form.getlist("resources") if isinstance(v, str)]
    return _change(request, runtime, page, document_id, share=chosen)


@router.post("/author/library/{document_id}/remove")
def remove(document_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Take the document out of the library (as DELETE .../library)."""
    return _change(request, runtime, page, document_id, share=None)
