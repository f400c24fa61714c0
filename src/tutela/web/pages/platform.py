"""Platform staff pages: regions (any staff member) and organizations (operators)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.core import schemas
from tutela.core.auth import staff
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.directory import service as directory
from tutela.core.organizations import service as organizations
from tutela.core.permissions.roles import StaffRole
from tutela.errors import PermissionDenied, TutelaError
from tutela.runtime import Runtime
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import StaffPage, StaffPageDep
from tutela.web.templating import render

router = page_router()


def organization_names(runtime: Runtime) -> dict[str, str]:
    """Each organization's short name by id, from the directory (for staff pages, which never show ids)."""
    with runtime.directory.session() as ddb:
        return {p.id: p.slug for p in directory.list_placements(ddb)}


ORG_FIELDS = ("name", "region", "admin_email")


def _platform_page(
    request: Request,
    runtime: Runtime,
    page: StaffPage,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    operator = page.holds(StaffRole.OPERATOR)
    placements = []
    if operator:
        with runtime.directory.session() as ddb:
            placements = directory.list_placements(ddb)
    regions = [(r.name, r.settings.jurisdiction) for r in runtime.regions.values()]
    notice = "The organization was created." if request.query_params.get("notice") == "org-created" else ""
    return render(
        request,
        "platform.html",
        {
            "title": "Organizations and regions",
            "operator": operator,
            "placements": placements,
            "regions": regions,
            "region_options": [(name, f"{name} ({jurisdiction})") for name, jurisdiction in regions],
            "home_region": runtime.settings.home_region,
            "errors": errors or {},
            "values": values or {},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/platform")
def platform_page(request: Request, page: StaffPageDep, runtime: RuntimeDep) -> Response:
    """Regions, and for operators every organization with its region and the form to add one."""
    return _platform_page(request, runtime, page)


@router.post("/platform/organizations")
def create_organization(request: Request, form: Form, page: StaffPageDep, runtime: RuntimeDep) -> Response:
    """Create an organization pinned to a region (as POST /api/platform/organizations)."""
    staff.require_role(page.principal, StaffRole.OPERATOR)
    values = {name: text(form, name) for name in ORG_FIELDS}
    password = str(form.get("admin_password", ""))
    try:
        body = schemas.OrganizationCreate.model_validate(
            {
                "name": values["name"],
                "region": values["region"],
                "admin_email": values["admin_email"] or None,
                "admin_password": password or None,
            }
        )
        admin = None
        if body.admin_email:
            admin = organizations.NewAdmin(
                email=body.admin_email, display_name="", password=body.admin_password or ""
            )
        organizations.create(
            runtime, name=body.name, region=body.region, actor=page.principal.actor, admin=admin
        )
    except PermissionDenied:
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields={*ORG_FIELDS, "admin_password"})
        if isinstance(exc, TutelaError) and exc.param == "password":  # the service's name for the field
            errors = {"admin_password": errors.get("form", "")}
        return _platform_page(request, runtime, page, errors=errors, values=values, status_code=status_code)
    return RedirectResponse("/platform?notice=org-created", status_code=303)
