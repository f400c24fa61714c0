"""Usage and cost for admins (`ai.manage_resources`): charts of tokens and requests per day and of the
largest users and keys, with their tables, filters by days and deployment, a CSV link, the price of each
deployment and how long usage is kept. Every change is audited by the services it calls."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from tutela.core import schemas
from tutela.core.auth.dependencies import RuntimeDep
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.core.users import service as users
from tutela.errors import NotFound, TutelaError
from tutela.gateway.deployments import service as deployments
from tutela.gateway.resources import service as resources
from tutela.gateway.resources.names import gateway_names
from tutela.gateway.usage import pricing, retention
from tutela.gateway.usage import service as usage
from tutela.gateway.usage.report import Report, report
from tutela.runtime import Runtime
from tutela.web import charts
from tutela.web.routing import Form, page_router, refusal, text
from tutela.web.session import UserPage, UserPageDep
from tutela.web.templating import render

router = page_router()

DEFAULT_DAYS = 30
PRICE = "Enter a price from 0 to 1,000,000 per million tokens, like 0.15."
CURRENCY = "Use a three-letter currency code in capitals, like USD or EUR."
NOTICES = {
    "price-saved": "The price was saved; estimated costs use it from now on, for past days too.",
    "price-removed": "The price was removed; that deployment's usage has no estimated cost now.",
    "retention-saved": "The retention was saved; older days are deleted at the next purge.",
}


def _require(runtime: Runtime, page: UserPage) -> None:
    with runtime.region_session(page.principal.org_id) as db:
        permissions.require(
            db,
            org_id=page.principal.org_id,
            user_id=page.principal.user_id,
            permission=Permission.MANAGE_AI_RESOURCES,
        )


def _day(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "Enter a day as year-month-day, like 2026-12-01."
        return None


def _range(start: str, end: str, today: date) -> tuple[date, date, dict[str, str]]:
    """The days asked for (defaults: the last 30 days to today), and any problem in words."""
    errors: dict[str, str] = {}
    last = _day(end, "end", errors) or today
    first = _day(start, "start", errors) or last - timedelta(days=DEFAULT_DAYS)
    if first > last:
        errors["start"] = "The first day must not come after the last day."
    elif (last - first).days >= retention.MAX_DAYS:
        errors["start"] = f"Choose at most {retention.MAX_DAYS:,} days."
    if errors:
        last, first = today, today - timedelta(days=DEFAULT_DAYS)
    return first, last, errors


def _charts(result: Report, names: dict[str, str]) -> list[charts.Chart]:
    span = f"from {result.days[0]} to {result.days[-1]}"
    tokens = sum(result.prompt_tokens) + sum(result.completion_tokens)
    top_users = [(names.get(f"user:{r.subject_id}", "a deleted user"), r.tokens) for r in result.top_users]
    top_keys = [(names.get(f"key:{r.subject_id}", "a deleted key"), r.tokens) for r in result.top_keys]
    busiest = max(range(len(result.days)), key=lambda n: result.requests[n])
    return [
        charts.columns(
            "tokens-per-day",
            "Tokens per day",
            f"{tokens:,} tokens {span}: input tokens in blue, output tokens in orange, one column a day. "
            "The table below gives every day's numbers.",
            result.days,
            [
                ("input tokens", "bar-in", result.prompt_tokens),
                ("output tokens", "bar-out", result.completion_tokens),
            ],
        ),
        charts.columns(
            "requests-per-day",
            "Requests per day",
            f"{result.total_requests:,} requests {span}, the most on {result.days[busiest]} "
            f"({result.requests[busiest]:,}). The table below gives every day's numbers.",
            result.days,
            [("requests", "bar-requests", result.requests)],
        ),
        charts.ranking(
            "top-users",
            "Top users by tokens",
            f"The {len(top_users)} people whose use of the product's AI features took the most tokens {span}."
            if top_users else f"No person used the product's AI features {span}.",
            top_users,
            "tokens",
        ),
        charts.ranking(
            "top-keys",
            "Top API keys by tokens",
            f"The {len(top_keys)} API keys that used the most tokens {span}."
            if top_keys else f"No API key was used {span}.",
            top_keys,
            "tokens",
        ),
    ]  # fmt: skip


def _page(
    request: Request,
    runtime: Runtime,
    page: UserPage,
    *,
    start: str = "",
    end: str = "",
    deployment: str = "",
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    _require(runtime, page)
    org_id = page.principal.org_id
    first, last, filter_errors = _range(start, end, runtime.clock.now().date())
    with runtime.region_session(org_id) as db:
        lines = usage.daily(
            db, org_id=org_id, start=first.isoformat(), end=last.isoformat(), deployment=deployment or None
        )
        names = gateway_names(db, org_id=org_id)
        names |= {
            f"user:{u.id}": f"{u.display_name} ({u.email})" if u.display_name else u.email
            for u in users.list_users(db, org_id=org_id)
        }
        resource_names = {r.id: r.name for r in resources.list_resources(db, org_id=org_id)}
        rows = deployments.list_deployments(db, org_id=org_id)
        kept = retention.get_retention(runtime, db, org_id=org_id)
    result = report(lines, first=first, last=last)
    query = {"start": first.isoformat(), "end": last.isoformat()} | (
        {"deployment": deployment} if deployment else {}
    )
    prices = [
        {"id": d.id, "name": d.name, "resource": resource_names.get(d.resource_id, "?"), "model": d.model,
         "price": pricing.price_of(d)}
        for d in rows
    ]  # fmt: skip
    context: dict[str, Any] = {
        "title": "Usage and cost",
        "report": result,
        "charts": _charts(result, names),
        "names": names,
        "filters": {"start": first.isoformat(), "end": last.isoformat(), "deployment": deployment},
        "filter_errors": filter_errors,
        "deployment_names": sorted({d.name for d in rows}),
        "csv_url": f"/api/ai/usage/csv?{urlencode(query)}",
        "prices": prices,
        "price_errors": {},
        "price_values": {"currency": "USD"},
        "retention": kept,
        "retention_errors": {},
        "retention_values": {"days": str(kept.organization_days or "")},
        "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
    }
    context |= extra or {}
    if filter_errors and status_code == 200:
        status_code = 422
    # After a form post htmx would show the post's address; a reload must land on this page, not re-post.
    headers = {"HX-Replace-Url": "/admin/usage"} if request.method == "POST" else None
    return render(request, "usage.html", context, status_code=status_code, headers=headers)


@router.get("/admin/usage")
def usage_page(
    request: Request,
    page: UserPageDep,
    runtime: RuntimeDep,
    start: str = Query(default="", max_length=10),
    end: str = Query(default="", max_length=10),
    deployment: str = Query(default="", max_length=64),
) -> Response:
    """Usage between two days (default: the last 30), for one deployment or all."""
    return _page(request, runtime, page, start=start, end=end, deployment=deployment.strip())


@router.post("/admin/usage/prices")
def set_price(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Set a deployment's price per million tokens (as PUT /api/ai/resources/{r}/deployments/{d}/price)."""
    _require(runtime, page)
    fields = ("deployment_id", "input_per_million", "output_per_million", "currency")
    values = {name: text(form, name) for name in fields}
    org_id = page.principal.org_id
    try:
        body = schemas.DeploymentPrice.model_validate(
            {k: v or None for k, v in values.items() if k != "deployment_id"}
            | {"currency": values["currency"] or "USD"}
        )
        with runtime.region_session(org_id) as db:
            pricing.set_price(
                runtime, db, org_id=org_id, actor=page.principal.actor, deployment_id=values["deployment_id"],
                input_per_million=body.input_per_million, output_per_million=body.output_per_million,
                currency=body.currency,
            )  # fmt: skip
    except NotFound:
        errors = {
            "deployment_id": "This deployment was not found in your organization. Choose one from the list."
        }
        extra = {"price_errors": errors, "price_values": values}
        return _page(request, runtime, page, extra=extra, status_code=404)
    except (ValidationError, TutelaError) as exc:
        reworded = {"input_per_million": PRICE, "output_per_million": PRICE, "currency": CURRENCY}
        errors, status_code = refusal(exc, fields=set(fields), reworded=reworded)
        extra = {"price_errors": errors, "price_values": values}
        return _page(request, runtime, page, extra=extra, status_code=status_code)
    return RedirectResponse("/admin/usage?notice=price-saved#prices", status_code=303)


@router.post("/admin/usage/prices/{deployment_id}/remove")
def remove_price(deployment_id: str, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Remove a deployment's price (another organization's: not found)."""
    _require(runtime, page)
    org_id = page.principal.org_id
    with runtime.region_session(org_id) as db:
        pricing.clear_price(
            runtime, db, org_id=org_id, actor=page.principal.actor, deployment_id=deployment_id
        )
    return RedirectResponse("/admin/usage?notice=price-removed#prices", status_code=303)


@router.post("/admin/usage/retention")
def set_retention(request: Request, form: Form, page: UserPageDep, runtime: RuntimeDep) -> Response:
    """Keep usage this many days (empty: the platform's default)."""
    _require(runtime, page)
    values = {"days": text(form, "days")}
    org_id = page.principal.org_id
    days_rule = (
        f"Enter a whole number of days from 1 to {retention.MAX_DAYS:,}, or leave it empty for the "
        f"platform's default ({runtime.settings.gateway.usage_retention_days:,} days)."
    )
    try:
        days = int(values["days"]) if values["days"] else None
        with runtime.region_session(org_id) as db:
            retention.set_retention(runtime, db, org_id=org_id, actor=page.principal.actor, days=days)
    except (ValueError, TutelaError):
        extra = {"retention_errors": {"days": days_rule}, "retention_values": values}
        return _page(request, runtime, page, extra=extra, status_code=422)
    return RedirectResponse("/admin/usage?notice=retention-saved#retention", status_code=303)
