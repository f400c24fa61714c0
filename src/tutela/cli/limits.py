"""Commands for the gateway's rate limits and token budgets."""

from __future__ import annotations

import json

import click

from tutela.cli.common import domain_errors, main, open_runtime


@main.group()
def limits() -> None:
    """Rate limits and token budgets per API key, AI resource, user or organization."""


@limits.command("set")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--scope", required=True, type=click.Choice(["key", "resource", "organization", "user"]))
@click.option("--subject", default=None, help="Id of the key, resource or user (not for organization).")
@click.option("--rpm", type=click.IntRange(0), default=None, help="Requests per minute.")
@click.option("--tpm", type=click.IntRange(0), default=None, help="Tokens per minute.")
@click.option("--tokens-per-day", type=click.IntRange(0), default=None, help="Token budget per UTC day.")
@click.option("--tokens-per-month", type=click.IntRange(0), default=None, help="Tokens per calendar month.")
@domain_errors
def limits_set(
    org_name: str,
    scope: str,
    subject: str | None,
    rpm: int | None,
    tpm: int | None,
    tokens_per_day: int | None,
    tokens_per_month: int | None,
) -> None:
    """Set (replace) one subject's limits; a limit left out is no limit. Audited."""
    from tutela.core.organizations import service as organizations
    from tutela.gateway.limits import service
    from tutela.gateway.limits.schemas import LimitRead, LimitSet, LimitValues

    body = LimitSet.model_validate(
        {
            "scope": scope,
            "subject_id": subject,
            "requests_per_minute": rpm,
            "tokens_per_minute": tpm,
            "tokens_per_day": tokens_per_day,
            "tokens_per_month": tokens_per_month,
        }
    )
    values = LimitValues.model_validate(body.model_dump(include=set(LimitValues.model_fields)))
    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        row = service.set_limits(db, org_id=org_id, scope=body.scope, subject_id=subject, values=values)
        service.record_change(runtime, db, actor="cli", row=row)
        click.echo(LimitRead.model_validate(row).model_dump_json())


@limits.command("list")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@domain_errors
def limits_list(org_name: str) -> None:
    """Print the organization's limits, one JSON object a line."""
    from tutela.core.organizations import service as organizations
    from tutela.gateway.limits import service
    from tutela.gateway.limits.schemas import LimitRead

    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        for row in service.list_limits(db, org_id=org_id):
            click.echo(json.dumps(LimitRead.model_validate(row).model_dump(mode="json")))


@limits.command("remove")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.argument("limit_id")
@domain_errors
def limits_remove(org_name: str, limit_id: str) -> None:
    """Remove one subject's limits. Audited."""
    from tutela.core.organizations import service as organizations
    from tutela.gateway.limits import service

    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        row = service.delete_limits(db, org_id=org_id, limit_id=limit_id)
        service.record_change(runtime, db, actor="cli", row=row, removed=True)
    click.echo(f"removed the limits of {row.scope} {row.subject_id}")
