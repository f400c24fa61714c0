"""Content safety settings (`policies.edit`): organization policy rules, blocklists, and each deployment's
content filter (thresholds, shields, profanity, attached blocklists)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.errors import NotFound, PermissionDenied, TutelaError
from tutela.gateway.deployments import service as deployments
from tutela.gateway.resources import service as resources
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.external import configuration as external_config
from tutela.gateway.safety.models import Blocklist
from tutela.gateway.safety.policies import service as policies
from tutela.gateway.safety.policies.models import PolicyRule
from tutela.gateway.safety.policies.schemas import ALL_PERSONAL_DATA, RuleWrite
from tutela.gateway.safety.schemas import BlocklistCreate, BlocklistItemCreate, FilterSettings
from tutela.runtime import Runtime
from tutela.web.routing import Form, field_errors, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

NOTICES = {
    "rule-created": "The policy rule was added.",
    "rule-saved": "The policy rule was saved.",
    "rule-deleted": "The policy rule was deleted.",
    "blocklist-created": "The blocklist was created.",
    "blocklist-deleted": "The blocklist was deleted.",
    "item-added": "The entry was added to the blocklist.",
    "item-removed": "The entry was removed from the blocklist.",
    "filter-saved": "The content filter was saved; the gateway applies it to the next requests.",
}
RULE_KINDS = [
    ("forbidden_terms", "Forbidden terms"),
    ("forbidden_pattern", "Forbidden pattern (regular expression)"),
    ("required_wording", "Required wording"),
    ("personal_data", "Personal data"),
    ("reading_level", "Reading level"),
]
RULE_FIELDS = (
    "name",
    "kind",
    "terms",
    "pattern",
    "wording",
    "position",
    "max_count",
    "max_words_per_sentence",
    "min_reading_ease",
    "language",
)
POSITIONS = [("anywhere", "Anywhere"), ("start", "At the start"), ("end", "At the end")]
PERSONAL_DATA_LABELS = {"email": "Email addresses", "phone": "Phone numbers", "iban": "IBANs"}
LEVELS = [
    ("low", "Low and above"),
    ("medium", "Medium and above"),
    ("high", "High only"),
    ("off", "Off"),
]
ACTIONS = [("filter", "Filter (block)"), ("annotate", "Annotate only"), ("off", "Off")]
CATEGORIES = [("hate", "Hate"), ("sexual", "Sexual"), ("violence", "Violence"), ("self_harm", "Self-harm")]
DIRECTION_ACTIONS = [("profanity", "Profanity"), ("organization_policies", "Organization policies")]
SHIELDS = [("jailbreak", "Jailbreak shield"), ("indirect_attack", "Indirect attack shield")]


def _require(runtime: Runtime, page: UserPage) -> None:
    with runtime.region_session(page.principal.org_id) as db:
        _require_in(db, page)


def _require_in(db: Session, page: UserPage) -> None:
    permissions.require(
        db, org_id=page.principal.org_id, user_id=page.principal.user_id, permission=Permission.EDIT_POLICIES
    )


def _notice(request: Request) -> str:
    return NOTICES.get(request.query_params.get("notice", ""), "")


def _audit(runtime: Runtime, db: Session, page: UserPage, action: str, target: str, **details: Any) -> None:
    organizations.record(
        runtime,
        db,
        org_id=page.principal.org_id,
        actor=page.principal.actor,
        action=action,
        target=target,
        details=details,
    )


# ------------------------------------------------------------------------------------------ rules


def _rule_values(rule: PolicyRule) -> dict[str, Any]:
    config = dict(rule.config)
    values: dict[str, Any] = {"name": rule.name, "kind": rule.kind, "enabled": rule.enabled}
    values["terms"] = "\n".join(config.get("terms", []))
    values["pattern"] = config.get("pattern", "")
    values["case_sensitive"] = bool(config.get("case_sensitive", False))
    values["wording"] = config.get("text", "")
    values["position"] = config.get("position", "anywhere")
    values["types"] = list(config.get("types", ALL_PERSONAL_DATA))
    values["max_count"] = str(config.get("max_count", 0))
    words = config.get("max_words_per_sentence", 25)
    ease = config.get("min_reading_ease")
    values["max_words_per_sentence"] = "" if words is None else str(words)
    values["min_reading_ease"] = "" if ease is None else str(ease)
    values["language"] = config.get("language", "auto")
    return values


def _blank_rule(kind: str = "forbidden_terms") -> dict[str, Any]:
    """A new rule's starting values; the form shows only the part of its kind."""
    return {
        "kind": kind if kind in dict(RULE_KINDS) else "forbidden_terms",
        "enabled": True,
        "case_sensitive": False,
        "position": "anywhere",
        "types": list(ALL_PERSONAL_DATA),
        "max_count": "0",
        "max_words_per_sentence": "25",
        "language": "auto",
    }


def _posted_rule(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: text(form, name) for name in RULE_FIELDS}
    values["terms"] = str(form.get("terms", ""))
    values["wording"] = str(form.get("wording", "")).strip()
    values["enabled"] = text(form, "enabled") == "true"
    values["case_sensitive"] = text(form, "case_sensitive") == "true"
    values["types"] = [v for v in form.getlist("types") if isinstance(v, str)]
    return values


def _definition(values: dict[str, Any]) -> dict[str, Any]:
    kind = values["kind"]
    if kind == "forbidden_terms":
        terms = [t.strip() for t in values["terms"].splitlines() if t.strip()]
        return {"kind": kind, "terms": terms}
    if kind == "forbidden_pattern":
        return {"kind": kind, "pattern": values["pattern"], "case_sensitive": values["case_sensitive"]}
    if kind == "required_wording":
        return {"kind": kind, "text": values["wording"], "position": values["position"] or "anywhere"}
    if kind == "personal_data":
        return {"kind": kind, "types": values["types"], "max_count": values["max_count"] or 0}
    return {
        "kind": kind,
        "max_words_per_sentence": values["max_words_per_sentence"] or None,
        "min_reading_ease": values["min_reading_ease"] or None,
        "language": values["language"] or "auto",
    }


def _rule_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's problems next to the rule form's fields (`rule.<kind>.<field>` → `<field>`)."""
    errors: dict[str, str] = {}
    for key, message in field_errors(exc).items():
        parts = key.split(".")
        name = (parts[2] if len(parts) >= 3 else "kind") if parts[0] == "rule" else parts[0]
        name = {"text": "wording"}.get(name, name)
        if name in {"max_count", "max_words_per_sentence", "min_reading_ease"}:
            message = "Enter a number in the allowed range."
        errors.setdefault(name if name in RULE_FIELDS or name == "types" else "form", message)
    return errors


def _rule_choices() -> dict[str, Any]:
    return {
        "rule_kinds": RULE_KINDS,
        "kind_labels": dict(RULE_KINDS),
        "positions": POSITIONS,
        "personal_data": [(t, PERSONAL_DATA_LABELS[t]) for t in ALL_PERSONAL_DATA],
    }


def _policies_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_in(db, page)
        rules = policies.list_rules(db, org_id=org_id)
        blocklists = [
            (b, len(safety.items_of(db, org_id=org_id, blocklist_id=b.id)))
            for b in safety.list_blocklists(db, org_id=org_id)
        ]
    context: dict[str, Any] = {
        "title": "Content policies and blocklists",
        "rules": rules,
        "kind_labels": dict(RULE_KINDS),
        "blocklists": blocklists,
        "notice": _notice(request),
        "values": _blank_rule(request.query_params.get("kind", "")),
        "bl_errors": {},
        "bl_values": {},
    }
    context |= _rule_choices() | (extra or {})
    headers = {"HX-Replace-Url": "/admin/policies"}
    return render(request, "safety/policies.html", context, status_code=status_code, headers=headers)


@router.get("/admin/policies")
def policies_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """The organization's content policy rules and blocklists, with the forms to add them."""
    return _policies_page(request, runtime, page)


@router.post("/admin/policies/rules")
def create_rule(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Add a rule (as POST /api/policies/rules)."""
    org_id = page.principal.org_id
    values = _posted_rule(form)
    try:
        with runtime.region_session(org_id) as db:
            _require_in(db, page)
            body = RuleWrite.model_validate(
                {"name": values["name"], "enabled": values["enabled"], "rule": _definition(values)}
            )
            rule = policies.create_rule(
                db, org_id=org_id, name=body.name, definition=body.rule, enabled=body.enabled
            )
            _audit(
                runtime,
                db,
                page,
                "policies.rule_created",
                f"policy_rule:{rule.id}",
                name=rule.name,
                kind=rule.kind,
                version=rule.version,
                enabled=rule.enabled,
            )
    except PermissionDenied:
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields=RULE_FIELDS, invalid=_rule_errors)
        extra = {"errors": errors, "values": values}
        return _policies_page(request, runtime, page, extra=extra, status_code=status_code)
    return RedirectResponse("/admin/policies?notice=rule-created", status_code=303)


def _rule_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    rule_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_in(db, page)
        rule = policies.get_rule(db, org_id=org_id, rule_id=rule_id)
    context: dict[str, Any] = {
        "title": f"Policy rule {rule.name}",
        "rule": rule,
        "errors": errors or {},
        "values": values if values is not None else _rule_values(rule),
        "notice": _notice(request),
    }
    headers = {"HX-Replace-Url": f"/admin/policies/rules/{rule.id}"}
    return render(
        request, "safety/rule.html", context | _rule_choices(), status_code=status_code, headers=headers
    )


@router.get("/admin/policies/rules/{rule_id}")
def rule_page(rule_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """One rule, in a form to change or delete it."""
    return _rule_page(request, runtime, page, rule_id)


@router.post("/admin/policies/rules/{rule_id}")
def update_rule(
    rule_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Replace a rule; its version goes up (as PUT /api/policies/rules/{id})."""
    org_id = page.principal.org_id
    values = _posted_rule(form)
    try:
        with runtime.region_session(org_id) as db:
            _require_in(db, page)
            body = RuleWrite.model_validate(
                {"name": values["name"], "enabled": values["enabled"], "rule": _definition(values)}
            )
            rule = policies.update_rule(
                db,
                org_id=org_id,
                rule_id=rule_id,
                name=body.name,
                definition=body.rule,
                enabled=body.enabled,
                now=runtime.clock.now(),
            )
            _audit(
                runtime,
                db,
                page,
                "policies.rule_updated",
                f"policy_rule:{rule.id}",
                name=rule.name,
                kind=rule.kind,
                version=rule.version,
                enabled=rule.enabled,
            )
    except (PermissionDenied, NotFound):
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields=RULE_FIELDS, invalid=_rule_errors)
        return _rule_page(
            request, runtime, page, rule_id, errors=errors, values=values, status_code=status_code
        )
    return RedirectResponse(f"/admin/policies/rules/{rule_id}?notice=rule-saved", status_code=303)


@router.post("/admin/policies/rules/{rule_id}/delete")
def delete_rule(
    rule_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Remove a rule (as DELETE /api/policies/rules/{id})."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_in(db, page)
        rule = policies.delete_rule(db, org_id=org_id, rule_id=rule_id)
        _audit(
            runtime,
            db,
            page,
            "policies.rule_deleted",
            f"policy_rule:{rule_id}",
            name=rule.name,
            version=rule.version,
        )
    return RedirectResponse("/admin/policies?notice=rule-deleted", status_code=303)


# ------------------------------------------------------------------------------------------ blocklists


@router.post("/admin/blocklists")
def create_blocklist(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """A new, empty blocklist (as POST /api/ai/blocklists)."""
    org_id = page.principal.org_id
    values = {"name": text(form, "name"), "description": text(form, "description")}
    try:
        with runtime.region_session(org_id) as db:
            _require_in(db, page)
            body = BlocklistCreate.model_validate(values)
            blocklist = safety.create_blocklist(
                db, org_id=org_id, name=body.name, description=body.description, items=body.items
            )
            _audit(
                runtime,
                db,
                page,
                "safety.blocklist_created",
                f"blocklist:{blocklist.id}",
                name=blocklist.name,
                items=len(body.items),
            )
    except PermissionDenied:
        raise
    except (ValidationError, TutelaError) as exc:
        name_rule = "Use 1 to 64 letters, digits, '.', '_', '~' or '-', without spaces."
        reworded = {"name": name_rule} if values["name"] else None  # an empty name is simply required
        errors, status_code = refusal(exc, fields={"name", "description"}, reworded=reworded)
        extra = {"bl_errors": errors, "bl_values": values}
        return _policies_page(request, runtime, page, extra=extra, status_code=status_code)
    return RedirectResponse(f"/admin/blocklists/{blocklist.id}?notice=blocklist-created", status_code=303)


def _blocklist_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    blocklist_id: str,
    *,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_in(db, page)
        blocklist: Blocklist = safety.get_blocklist(db, org_id=org_id, blocklist_id=blocklist_id)
        items = safety.items_of(db, org_id=org_id, blocklist_id=blocklist.id)
    context: dict[str, Any] = {
        "title": f"Blocklist {blocklist.name}",
        "blocklist": blocklist,
        "items": items,
        "kinds": [("exact", "Exact term"), ("regex", "Regular expression")],
        "values": {"kind": "exact"},
        "notice": _notice(request),
        "delete_error": "",
    }
    context |= extra or {}
    headers = {"HX-Replace-Url": f"/admin/blocklists/{blocklist.id}"}
    return render(request, "safety/blocklist.html", context, status_code=status_code, headers=headers)


@router.get("/admin/blocklists/{blocklist_id}")
def blocklist_page(blocklist_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """One blocklist: its terms and regular expressions, and the form to add one."""
    return _blocklist_page(request, runtime, page, blocklist_id)


@router.post("/admin/blocklists/{blocklist_id}/items")
def add_item(
    blocklist_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Add a term or a regular expression (as POST /api/ai/blocklists/{id}/items)."""
    org_id = page.principal.org_id
    values = {"kind": text(form, "kind") or "exact", "pattern": text(form, "pattern")}
    try:
        with runtime.region_session(org_id) as db:
            _require_in(db, page)
            body = BlocklistItemCreate.model_validate(values)
            item = safety.add_item(db, org_id=org_id, blocklist_id=blocklist_id, item=body)
            _audit(
                runtime,
                db,
                page,
                "safety.blocklist_item_added",
                f"blocklist:{blocklist_id}",
                item=item.id,
                kind=item.kind,
            )
    except (PermissionDenied, NotFound):
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, fields={"kind", "pattern"})
        extra = {"errors": errors, "values": values}
        return _blocklist_page(request, runtime, page, blocklist_id, extra=extra, status_code=status_code)
    return RedirectResponse(f"/admin/blocklists/{blocklist_id}?notice=item-added", status_code=303)


@router.post("/admin/blocklists/{blocklist_id}/items/{item_id}/remove")
def remove_item(
    blocklist_id: str, item_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Remove one entry (as DELETE /api/ai/blocklists/{id}/items/{item_id})."""
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_in(db, page)
        safety.remove_item(db, org_id=org_id, blocklist_id=blocklist_id, item_id=item_id)
        _audit(runtime, db, page, "safety.blocklist_item_removed", f"blocklist:{blocklist_id}", item=item_id)
    return RedirectResponse(f"/admin/blocklists/{blocklist_id}?notice=item-removed", status_code=303)


@router.post("/admin/blocklists/{blocklist_id}/delete")
def delete_blocklist(
    blocklist_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Remove a blocklist no deployment uses (as DELETE /api/ai/blocklists/{id})."""
    org_id = page.principal.org_id
    try:
        with runtime.region_session(org_id) as db:
            _require_in(db, page)
            blocklist = safety.delete_blocklist(db, org_id=org_id, blocklist_id=blocklist_id)
            _audit(
                runtime,
                db,
                page,
                "safety.blocklist_deleted",
                f"blocklist:{blocklist_id}",
                name=blocklist.name,
            )
    except (PermissionDenied, NotFound):
        raise
    except TutelaError as exc:
        problem = refusal(exc)
        extra = {"delete_error": problem.message}
        return _blocklist_page(
            request, runtime, page, blocklist_id, extra=extra, status_code=problem.status_code
        )
    return RedirectResponse("/admin/policies?notice=blocklist-deleted", status_code=303)


# ------------------------------------------------------------------------------------------ content filters


@router.get("/admin/filters")
def filters_page(request: Request, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Every deployment of every AI resource, each with its content filter's version."""
    org_id = page.principal.org_id
    rows: list[dict[str, Any]] = []
    with runtime.region_session(org_id) as db:
        _require_in(db, page)
        for resource in resources.list_resources(db, org_id=org_id):
            for row in deployments.list_deployments(db, org_id=org_id, resource_id=resource.id):
                _, version = safety.get_filter(db, org_id=org_id, deployment_id=row.id)
                rows.append({"resource": resource, "deployment": row, "version": version})
    return render(
        request,
        "safety/filters.html",
        {"title": "Content filters", "rows": rows, "notice": _notice(request)},
    )


def _filter_values(settings: FilterSettings) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for direction in ("prompt", "completion"):
        dumped = getattr(settings, direction).model_dump()
        for name, value in dumped.items():
            values[f"{direction}-{name}"] = value
    return values


def _posted_filter(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """The posted form as template values, and as the settings document."""
    values: dict[str, Any] = {}
    document: dict[str, dict[str, Any]] = {"prompt": {}, "completion": {}}
    names = [c for c, _ in CATEGORIES] + [a for a, _ in DIRECTION_ACTIONS]
    for direction in ("prompt", "completion"):
        for name in names + ([s for s, _ in SHIELDS] if direction == "prompt" else []):
            value = text(form, f"{direction}-{name}")
            values[f"{direction}-{name}"] = value
            document[direction][name] = value
        attached = [v for v in form.getlist(f"{direction}-blocklists") if isinstance(v, str)]
        values[f"{direction}-blocklists"] = attached
        document[direction]["blocklists"] = attached
    return values, document


def _filter_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's problems next to the filter form's fields (`prompt.hate.level` → `prompt-hate`)."""
    return {k.replace(".", "-", 1).split(".")[0]: v for k, v in field_errors(exc).items()}


def _filter_page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    resource_id: str,
    deployment_id: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        _require_in(db, page)
        resource = resources.get_resource(db, org_id=org_id, resource_id=resource_id)
        row = safety.deployment_of(db, org_id=org_id, resource_id=resource_id, deployment_id=deployment_id)
        settings, version = safety.get_filter(db, org_id=org_id, deployment_id=row.id)
        blocklists = [b.name for b in safety.list_blocklists(db, org_id=org_id)]
    context: dict[str, Any] = {
        "title": f"Content filter of {row.name}",
        "resource": resource,
        "deployment": row,
        "version": version,
        "categories": CATEGORIES,
        "direction_actions": DIRECTION_ACTIONS,
        "shields": SHIELDS,
        "levels": LEVELS,
        "actions": ACTIONS,
        "blocklists": blocklists,
        "errors": errors or {},
        "values": values if values is not None else _filter_values(settings),
        "services": settings.services,
        "notice": _notice(request),
    }
    headers = {"HX-Replace-Url": f"/admin/filters/{resource_id}/{deployment_id}"}
    return render(request, "safety/filter.html", context, status_code=status_code, headers=headers)


@router.get("/admin/filters/{resource_id}/{deployment_id}")
def filter_page(
    resource_id: str, deployment_id: str, request: Request, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """A deployment's content filter as a form."""
    return _filter_page(request, runtime, page, resource_id, deployment_id)


@router.post("/admin/filters/{resource_id}/{deployment_id}")
def save_filter(
    resource_id: str, deployment_id: str, request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep
) -> Response:
    """Replace a deployment's content filter (as PUT /api/ai/resources/{r}/deployments/{d}/content-filter)."""
    org_id = page.principal.org_id
    values, document = _posted_filter(form)
    try:
        with runtime.region_session(org_id) as db:
            _require_in(db, page)
            row = safety.deployment_of(
                db, org_id=org_id, resource_id=resource_id, deployment_id=deployment_id
            )
            current, _ = safety.get_filter(db, org_id=org_id, deployment_id=row.id)
            # External services are configured through the API; the form keeps them (keys stay sealed).
            body = FilterSettings.model_validate(document | {"services": current.model_dump()["services"]})
            version = external_config.replace_filter(
                runtime, db, org_id=org_id, deployment_id=row.id, settings=body
            )
            _audit(
                runtime,
                db,
                page,
                "safety.content_filter_updated",
                f"deployment:{row.id}",
                version=version,
                settings=body.model_dump(),
            )
    except (PermissionDenied, NotFound):
        raise
    except (ValidationError, TutelaError) as exc:
        errors, status_code = refusal(exc, invalid=_filter_errors)
        if isinstance(exc, TutelaError):  # its param names the setting as `<direction>.<name>`
            errors = {(exc.param or "form").replace(".", "-"): errors["form"]}
        return _filter_page(
            request,
            runtime,
            page,
            resource_id,
            deployment_id,
            errors=errors,
            values=values,
            status_code=status_code,
        )
    return RedirectResponse(
        f"/admin/filters/{resource_id}/{deployment_id}?notice=filter-saved", status_code=303
    )
