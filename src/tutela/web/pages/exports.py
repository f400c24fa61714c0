"""The review page's LMS downloads: one module in a learning platform's format (as
GET /api/modules/{id}/export, through the same function, so the same checks and audit entry)."""

from __future__ import annotations

from fastapi import Response

from tutela.authoring.modules import router as modules_api
from tutela.core.auth.dependencies import RuntimeDep
from tutela.web.routing import page_router
from tutela.web.session import UserPageDep

router = page_router()


@router.get("/author/modules/{module_id}/export/{format_name}")
def export_download(module_id: str, format_name: str, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The module as a QTI package or a Moodle XML, GIFT or Aiken question bank; audited."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        export = modules_api.module_export(
            runtime, db, page.principal, module_id=module_id, format_name=format_name
        )
    return modules_api.export_response(export)
