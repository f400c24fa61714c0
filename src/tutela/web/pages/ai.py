"""AI resources of the gateway: their API keys (each shown once) and deployments (`ai.manage_resources`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.core import schemas
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.errors import InvalidInput, NotFound, PermissionDenied, TutelaError
from tutela.gateway.deployments import service as deployments
from tutela.gateway.pii import service as pii
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

NOTICES = {
    "resource-created": "The AI resource was created.",
    "key-revoked": "The API key was revoked; it stops working at once.",
    "deployment-created": "The deployment was created.",
    "pii-on": "Personal data is now replaced with placeholders before requests leave for this deployment.",
    "pii-off": "Requests to this deployment now leave with personal data as written.",
}
PII_CHOICES = (("off", "Sent as written"), ("pseudonymise", "Replaced with placeholders"))
DEPLOYMENT_FIELDS = ("name", "provider", "model", "base_url", "api_key_env", "api_version")


def _require(runtime: Runtime, page: UserPage) -> None:
    with runtime.region_session(page.principal.org_id) as db:
        permissions.require(
            db,
            org_id=page.principal.org_id,
            user_id=page.principal.user_id,
            permission=Permission.MANAGE_AI_RESOURCES,
        )


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("notice", ""), "")


def _resources_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    _require(runtime, page)
    with runtime.region_session(page.principal.org_id) as db:
        rows = resources.list_resources(db, org_id=page.principal.org_id)
    context: dict[str, Any] = {"title": "AI resources", "resources": rows, "notice": _notice(request)}
    context |= {"errors": errors or {}, "values": values or {}}
    return render(request, "resources.html", context, status_code=status_code)


@router.get("/admin/resources")
def resources_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The organization's AI resources and the form to add one."""
    return _resources_page(request, runtime, page)


@router.post("/admin/resources")
def create_resource(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Create an AI resource (as POST /api/ai/resources)."""
    _require(runtime, page)
    values = {"name": text(form, "name")}
    org_id = page.principal.org_id
    try:
        body = schemas.ResourceCreate.model_validate(values)
        with runtime.region_session(org_id) as db:
            resource = resources.create_resource(db, org_id=org_id, name=body.name)
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="ai.resource_created",
                target=f"resource:{resource.id}",
            )
    except (ValidationError, TutelaError) as exc:
        name_rule = "Use letters, digits, '.', '_' or '-', starting with a letter or digit."
        reworded = {"name": name_rule} if values["name"] else None  # an empty name is simply required
        errors, status_code = refusal(exc, fields={"name"}, reworded=reworded)
        return _resources_page(request, runtime, page, errors=errors, values=values, status_code=status_code)
    return RedirectResponse(f"/admin/resources/{resource.id}?notice=resource-created", status_code=303)


def _resource_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    resource_id: str,
    *,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    _require(runtime, page)
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        resource = resources.get_resource(db, org_id=org_id, resource_id=resource_id)
        keys = resources.list_keys(db, org_id=org_id, resource_id=resource_id)
        rows = deployments.list_deployments(db, org_id=org_id, resource_id=resource_id)
    context: dict[str, Any] = {
        "title": f"AI resource {resource.name}",
        "resource": resource,
        "keys": keys,
        "deployments": rows,
        "providers": [(name, name) for name in default_registry().names()],
        "pii_choices": PII_CHOICES,
        "new_key": None,
        "key_errors": {},
        "key_values": {},
        "notice": _notice(request),
    }
    context |= extra or {}
    # After a form post htmx would show the post's address; a reload must land on this page, not re-post.
    headers = {"HX-Replace-Url": f"/admin/resources/{resource.id}"}
    return render(request, "resource.html", context, status_code=status_code, headers=headers)


@router.get("/admin/resources/{resource_id}")
def resource_page(resource_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """One resource: its API keys and its deployments."""
    return _resource_page(request, runtime, page, resource_id)


@router.post("/admin/resources/{resource_id}/keys")
def create_key(
    resource_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Create an API key and show it, once, in this response (as POST /api/ai/resources/{id}/keys)."""
    _require(runtime, page)
    values = {"name": text(form, "name"), "expires_in_days": text(form, "expires_in_days")}
    org_id = page.principal.org_id
    try:
        body = schemas.ApiKeyCreate.model_validate(
            {"name": values["name"], "expires_in_days": values["expires_in_days"] or None}
        )
    except ValidationError as exc:
        days = "Enter a whole number of days from 1 to 3650, or leave it empty."
        errors, status_code = refusal(exc, reworded={"expires_in_days": days})
        extra = {"key_errors": errors, "key_values": values}
        return _resource_page(request, runtime, page, resource_id, extra=extra, status_code=status_code)
    expires = runtime.clock.now() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    with runtime.region_session(org_id) as db:
        key, raw = resources.create_key(
            db, org_id=org_id, resource_id=resource_id, name=body.name, expires_at=expires
        )
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor=page.principal.actor,
            action="ai.key_created",
            target=f"key:{key.id}",
            details={"resource": resource_id},
        )
    # Rendered here rather than after a redirect: the key is in this response only, never stored in clear.
    extra = {"new_key": {"name": key.name, "token": raw}}
    return _resource_page(request, runtime, page, resource_id, extra=extra, status_code=201)


@router.post("/admin/resources/{resource_id}/keys/{key_id}/revoke")
def revoke_key(
    resource_id: str, key_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Revoke an API key (as DELETE /api/ai/resources/{id}/keys/{key_id})."""
    _require(runtime, page)
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        resources.get_resource(db, org_id=org_id, resource_id=resource_id)
        resources.revoke_key(
            db, org_id=org_id, key_id=key_id, now=runtime.clock.now(), resource_id=resource_id
        )
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor=page.principal.actor,
            action="ai.key_revoked",
            target=f"key:{key_id}",
        )
    return RedirectResponse(f"/admin/resources/{resource_id}?notice=key-revoked", status_code=303)


@router.post("/admin/resources/{resource_id}/deployments")
def create_deployment(
    resource_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Map a model name to a provider (as POST /api/ai/resources/{id}/deployments)."""
    _require(runtime, page)
    values = {name: text(form, name) for name in DEPLOYMENT_FIELDS}
    api_key = str(form.get("api_key", "")).strip()
    org_id = page.principal.org_id
    try:
        body = schemas.DeploymentCreate.model_validate(
            {k: v or None for k, v in values.items()} | {"api_key": api_key or None}
        )
        with runtime.region_session(org_id) as db:
            resources.get_resource(db, org_id=org_id, resource_id=resource_id)
            row = deployments.create(
                runtime,
                db,
                registry=default_registry(),
                org_id=org_id,
                resource_id=resource_id,
                name=body.name,
                provider=body.provider,
                model=body.model,
                base_url=body.base_url,
                api_key_env=body.api_key_env,
                api_key=body.api_key,
                api_version=body.api_version,
            )
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor=page.principal.actor,
                action="ai.deployment_created",
                target=f"deployment:{row.id}",
                details={"name": row.name, "provider": row.provider},
            )
    except (PermissionDenied, NotFound):
        raise
    except (ValidationError, TutelaError) as exc:
        env_name = "Use the name of an environment variable, like OPENAI_API_KEY."
        errors, _ = refusal(exc, fields={*DEPLOYMENT_FIELDS, "api_key"}, reworded={"api_key_env": env_name})
        extra = {"errors": errors, "values": values}
        # This form answers 422 for every refusal, a service error of another status included.
        return _resource_page(request, runtime, page, resource_id, extra=extra, status_code=422)
    return RedirectResponse(f"/admin/resources/{resource_id}?notice=deployment-created", status_code=303)


@router.post("/admin/resources/{resource_id}/deployments/{deployment_id}/pii")
def set_deployment_pii(
    resource_id: str,
    deployment_id: str,
    request: Request,
    form: Form,
    page: UserPageDep,
    runtime: RuntimeDep,
) -> Response:
    """Turn PII pseudonymisation on or off (as PUT /api/ai/resources/{id}/deployments/{d}/pii)."""
    _require(runtime, page)
    mode = text(form, "pii")
    if mode not in dict(PII_CHOICES):
        raise InvalidInput("choose whether personal data is sent as written or replaced", param="pii")
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        row = pii.set_mode(
            db,
            registry=default_registry(),
            org_id=org_id,
            resource_id=resource_id,
            deployment_id=deployment_id,
            mode="pseudonymise" if mode == "pseudonymise" else "off",
        )
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor=page.principal.actor,
            action="ai.deployment_pii_changed",
            target=f"deployment:{row.id}",
            details={"pii": mode},
        )
    notice = "pii-on" if mode == "pseudonymise" else "pii-off"
    return RedirectResponse(f"/admin/resources/{resource_id}?notice={notice}", status_code=303)
