"""Custom prompt templates with versions: list, create, new version, view a version (`prompts.edit`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tutela.authoring.generation.schemas import QUESTION_TYPES
from tutela.authoring.prompts import service as prompts
from tutela.authoring.prompts.schemas import TemplateContent, TemplateCreate
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.exceptions import NotAllowed
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound, PermissionDenied, TutelaError
from tutela.runtime import Runtime
from tutela.web.routing import Form, field_errors, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

NOTICES = {
    "created": "The prompt template was created (version 1).",
    "versioned": "The new version was saved; it is now the current one.",
}
CONTENT_FIELDS = ("instructions", "audience", "tone", "language", "length", "question_count")
LENGTHS = [("", "No preference"), ("short", "Short"), ("medium", "Medium"), ("long", "Long")]
TYPE_LABELS = {
    "single_choice": "Single choice",
    "multiple_choice": "Multiple choice",
    "true_false": "True or false",
    "fill_in_blank": "Fill in the blank",
    "short_answer": "Short answer",
}


def _require_read(db: Session, page: UserPage) -> None:
    """As GET /api/prompts: whoever may edit templates or generate with them."""
    for permission in (Permission.EDIT_PROMPTS, Permission.GENERATE_MODULES):
        if permissions.allows(
            db, org_id=page.principal.org_id, user_id=page.principal.user_id, permission=permission
        ):
            return
    raise NotAllowed("your roles let you neither edit prompt templates nor generate modules")


def _require_edit(db: Session, page: UserPage) -> None:
    permissions.require(
        db, org_id=page.principal.org_id, user_id=page.principal.user_id, permission=Permission.EDIT_PROMPTS
    )


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: text(form, name) for name in ("name", *CONTENT_FIELDS)}
    values["instructions"] = str(form.get("instructions", "")).strip()
    values["question_types"] = [v for v in form.getlist("question_types") if isinstance(v, str)]
    return values


def _content(values: dict[str, Any]) -> dict[str, Any]:
    body = {name: values[name] for name in CONTENT_FIELDS}
    body["question_count"] = values["question_count"] or None
    body["question_types"] = values["question_types"]
    return body


def _errors(exc: ValidationError) -> dict[str, str]:
    errors = {k.split(".")[0]: v for k, v in field_errors(exc).items()}
    if "question_count" in errors:
        errors["question_count"] = "Enter a whole number from 1 to 200, or leave it empty."
    return errors


def _choices() -> dict[str, Any]:
    return {"lengths": LENGTHS, "question_types": [(t, TYPE_LABELS.get(t, t)) for t in QUESTION_TYPES]}


def _list_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_read(db, page)
        rows = [
            {"template": t, "current": prompts.version(db, org_id=org_id, template_id=t.id)}
            for t in prompts.list_templates(db, org_id=org_id)
        ]
    context: dict[str, Any] = {
        "title": "Prompt templates",
        "templates": rows,
        "can_edit": page.may(Permission.EDIT_PROMPTS),
        "errors": errors or {},
        "values": values or {"question_types": []},
        "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
    }
    return render(request, "safety/prompts.html", context | _choices(), status_code=status_code)


@router.get("/admin/prompts")
def prompts_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Every prompt template with its current version, and the form to write a new one."""
    return _list_page(request, runtime, page)


@router.post("/admin/prompts")
def create_template(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Write a new template, version 1 (as POST /api/prompts)."""
    org_id = page.principal.org_id
    values = _form_values(form)
    try:
        with runtime.region_session(org_id) as db:
            _require_edit(db, page)
            body = TemplateCreate.model_validate({"name": values["name"], **_content(values)})
            content = TemplateContent.model_validate(body.model_dump(exclude={"name"}))
            template = prompts.create(
                db, org_id=org_id, user_id=page.principal.user_id, name=body.name, content=content
            )
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="prompt.created",
                target=f"prompt:{template.id}",
            )
    except PermissionDenied:
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields={"name", *CONTENT_FIELDS}, invalid=_errors)
        return _list_page(request, runtime, page, errors=errors, values=values, status_code=status_code)
    return RedirectResponse(f"/admin/prompts/{template.id}?notice=created", status_code=303)


def _template_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    template_id: str,
    *,
    number: int | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_read(db, page)
        template = prompts.get(db, org_id=org_id, template_id=template_id)
        shown = prompts.version(db, org_id=org_id, template_id=template.id, number=number)
        numbers = prompts.version_numbers(db, org_id=org_id, template_id=template.id)
    if values is None:
        values = {name: getattr(shown, name) for name in CONTENT_FIELDS}
        values["question_count"] = "" if shown.question_count is None else str(shown.question_count)
        values["question_types"] = list(shown.question_types)
    context: dict[str, Any] = {
        "title": f"Prompt template {template.name}"
        + ("" if number is None else f", version {shown.version}"),
        "template": template,
        "shown": shown,
        "versions": numbers,
        "viewing_old": number is not None and shown.version != template.current_version,
        "can_edit": page.may(Permission.EDIT_PROMPTS),
        "type_labels": TYPE_LABELS,
        "errors": errors or {},
        "values": values,
        "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
    }
    headers = {"HX-Replace-Url": f"/admin/prompts/{template.id}"} if number is None else None
    return render(
        request, "safety/prompt.html", context | _choices(), status_code=status_code, headers=headers
    )


@router.get("/admin/prompts/{template_id}")
def template_page(template_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """One template: its current version, every version number, and the form for a new version."""
    return _template_page(request, runtime, page, template_id)


@router.get("/admin/prompts/{template_id}/versions/{number}")
def version_page(
    template_id: str, number: int, request: Request, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """One version of a template, as modules generated with it recorded it."""
    return _template_page(request, runtime, page, template_id, number=number)


@router.post("/admin/prompts/{template_id}/versions")
def add_version(
    template_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Write a new version; it becomes current (as POST /api/prompts/{id}/versions)."""
    org_id = page.principal.org_id
    values = _form_values(form)
    try:
        with runtime.region_session(org_id) as db:
            _require_edit(db, page)
            body = TemplateContent.model_validate(_content(values))
            template = prompts.add_version(
                db, org_id=org_id, template_id=template_id, user_id=page.principal.user_id, content=body
            )
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="prompt.versioned",
                target=f"prompt:{template.id}",
                details={"version": template.current_version},
            )
    except (PermissionDenied, NotFound):
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields=CONTENT_FIELDS, invalid=_errors)
        return _template_page(
            request, runtime, page, template_id, errors=errors, values=values, status_code=status_code
        )
    return RedirectResponse(f"/admin/prompts/{template_id}?notice=versioned", status_code=303)
