"""Commands for abuse monitoring: purge, flags, just-in-time review, opt-outs."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from tutela.cli.common import F, domain_errors, main, open_runtime
from tutela.runtime import Runtime

# --------------------------------------------------------------------------------------- abuse monitoring

_STAFF_OPTIONS = [
    click.option("--staff", "staff_email", required=True, help="Your platform staff email."),
    click.option("--password", default=None, help="Your password (or TUTELA_PASSWORD, or a prompt)."),
]


def _staff_options(fn: F) -> F:
    for option in reversed(_STAFF_OPTIONS):
        fn = option(fn)
    return fn


def _signed_in_staff(runtime: Runtime, email: str, password: str | None) -> Any:
    """Sign a staff member in with their password, so every CLI step is theirs in the audit log."""
    from tutela.core.auth import secrets
    from tutela.core.auth import staff as staff_service

    secret = password or os.environ.get("TUTELA_PASSWORD")
    if not secret:
        if not sys.stdin.isatty():
            raise click.ClickException("no password given: use --password or the TUTELA_PASSWORD variable")
        secret = str(click.prompt("Password", hide_input=True))
    hours = runtime.settings.auth.session_hours
    with runtime.directory.session() as ddb:
        _, token = staff_service.sign_in(
            ddb, email=email, password=secret, now=runtime.clock.now(), hours=hours
        )
        return staff_service.resolve_staff_token(
            ddb, parsed=secrets.parse_token(token), now=runtime.clock.now()
        )


@main.group()
def monitoring() -> None:
    """Abuse monitoring: retention purge, opt-out decisions and just-in-time review."""


@monitoring.command("purge")
@click.option("--region", default=None, help="Only this region (default: every region).")
@domain_errors
def monitoring_purge(region: str | None) -> None:
    """Delete expired monitoring records and destroy their day keys (idempotent; safe to run concurrently)."""
    from tutela.gateway.monitoring import service as monitoring_service

    runtime = open_runtime()
    if region is not None:
        runtime.region(region)
    result = monitoring_service.purge(runtime, region=region)
    click.echo(
        f"purged {result.records} records and {result.keys} day keys"
        f" ({result.days} days, {result.organizations} organizations)"
    )


@monitoring.command("flags")
@click.option("--all", "show_all", is_flag=True, help="Closed flags too.")
@_staff_options
@domain_errors
def monitoring_flags(show_all: bool, staff_email: str, password: str | None) -> None:
    """The review queue of your jurisdiction (metadata only)."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    for found in review.queue(runtime, principal=principal, status=None if show_all else "open"):
        flag = found.row
        click.echo(
            f"{flag.id}  {found.region}  org {flag.org_id}  {flag.reason}  {flag.status}"
            f"  {len(flag.request_ids)} requests: {' '.join(flag.request_ids[:5])}"
        )


@monitoring.command("request-access")
@click.option("--flag", "flag_id", required=True)
@click.option("--request-id", required=True, help="The one request id of the flag to read.")
@click.option("--justification", required=True, help="Why you need to read it (at least 20 characters).")
@_staff_options
@domain_errors
def monitoring_request_access(
    flag_id: str, request_id: str, justification: str, staff_email: str, password: str | None
) -> None:
    """File a just-in-time access request (safety reviewers)."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    found = review.request_access(
        runtime, principal=principal, flag_id=flag_id, request_id=request_id, justification=justification
    )
    click.echo(f"access request {found.row.id} filed; a safety manager must approve it")


@monitoring.command("access-requests")
@click.option("--status", default="pending", help="pending, approved, rejected or all.")
@_staff_options
@domain_errors
def monitoring_access_requests(status: str, staff_email: str, password: str | None) -> None:
    """Access requests of your jurisdiction."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    wanted = None if status == "all" else status
    for found in review.access_requests(runtime, principal=principal, status=wanted):
        row = found.row
        click.echo(
            f"{row.id}  {found.region}  {row.status}  {row.reviewer_email}  request {row.request_id}"
            f"  why: {row.justification}"
        )


@monitoring.command("approve-access")
@click.option("--access", "access_id", required=True)
@click.option("--minutes", default=60, type=click.IntRange(1, 24 * 60), help="Grant lifetime (default 60).")
@_staff_options
@domain_errors
def monitoring_approve_access(access_id: str, minutes: int, staff_email: str, password: str | None) -> None:
    """Approve another reviewer's access request (safety managers)."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    found = review.decide_access(
        runtime, principal=principal, access_id=access_id, approve=True, minutes=minutes
    )
    click.echo(f"granted until {found.row.expires_at:%Y-%m-%d %H:%M} UTC")


@monitoring.command("reject-access")
@click.option("--access", "access_id", required=True)
@_staff_options
@domain_errors
def monitoring_reject_access(access_id: str, staff_email: str, password: str | None) -> None:
    """Refuse an access request (safety managers)."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    review.decide_access(runtime, principal=principal, access_id=access_id, approve=False)
    click.echo("rejected")


@monitoring.command("read")
@click.option("--access", "access_id", required=True)
@_staff_options
@domain_errors
def monitoring_read(access_id: str, staff_email: str, password: str | None) -> None:
    """Print the content your live grant covers (written to the customer's audit log)."""
    import json

    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    content = review.read_content(runtime, principal=principal, access_id=access_id)
    body = {
        "request_id": content.access.request_id,
        "prompt": content.prompt,
        "completion": content.completion,
    }
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@monitoring.command("outcome")
@click.option("--flag", "flag_id", required=True)
@click.option("--outcome", required=True, type=click.Choice(["benign", "abusive"]))
@click.option("--suspend-key", is_flag=True, help="Suspend the flag's API key (abusive only).")
@click.option("--note", default="", help="A note for the record and the organization's admins.")
@_staff_options
@domain_errors
def monitoring_outcome(
    flag_id: str, outcome: str, suspend_key: bool, note: str, staff_email: str, password: str | None
) -> None:
    """Close a flag as benign or abusive."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    found = review.record_outcome(
        runtime, principal=principal, flag_id=flag_id, outcome=outcome, suspend_key=suspend_key, note=note
    )
    suspended = ", key suspended" if found.row.key_suspended else ""
    click.echo(f"flag {found.row.id} closed as {outcome}{suspended}")


@monitoring.command("opt-outs")
@_staff_options
@domain_errors
def monitoring_opt_outs(staff_email: str, password: str | None) -> None:
    """Pending opt-out requests of every region (operators)."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    for found in review.opt_outs(runtime, principal=principal):
        row = found.row
        click.echo(f"{row.id}  {found.region}  org {row.org_id}  by {row.requested_by}  why: {row.reason}")


@monitoring.command("decide-opt-out")
@click.option("--opt-out", "opt_out_id", required=True)
@click.option("--approve/--reject", required=True)
@click.option("--note", default="")
@_staff_options
@domain_errors
def monitoring_decide_opt_out(
    opt_out_id: str, approve: bool, note: str, staff_email: str, password: str | None
) -> None:
    """Approve (content logging off, stored content erased) or reject an opt-out (operators)."""
    from tutela.gateway.monitoring import review

    runtime = open_runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    found = review.decide_opt_out(
        runtime, principal=principal, opt_out_id=opt_out_id, approve=approve, note=note
    )
    click.echo(f"opt-out {found.row.id} {found.row.status}")
