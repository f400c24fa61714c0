"""The `tutela` command line."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

import click

from tutela.config import Settings
from tutela.errors import TutelaError
from tutela.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


def _runtime() -> Runtime:
    from pydantic import ValidationError

    try:
        return Runtime(Settings())
    except ValidationError as exc:
        raise click.ClickException(
            f"invalid configuration: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from exc


def domain_errors(fn: F) -> F:
    """Turn domain errors into one-line messages and exit code 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TutelaError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper  # type: ignore[return-value]


def _password(value: str | None, prompt: str = "Password") -> str:
    if value:
        return value
    env = os.environ.get("TUTELA_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise click.ClickException("no password given: use --password or the TUTELA_PASSWORD variable")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
def main(verbose: bool) -> None:
    """Tutela: privacy-first AI authoring with its own OpenAI-compatible gateway."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)


@main.command()
@domain_errors
def migrate() -> None:
    """Bring the directory and every region's databases to the newest schema."""
    from tutela.storage.migrations import upgrade_all

    runtime = _runtime()
    for name in upgrade_all(runtime):
        click.echo(f"migrated {name}")


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from settings: 8000).")
@click.option("--demo/--no-demo", default=False, help="Create the demo organization if it does not exist.")
@click.option("--migrate/--no-migrate", "run_migrations", default=True, help="Migrate databases first.")
@domain_errors
def serve(host: str | None, port: int | None, demo: bool, run_migrations: bool) -> None:
    """Run the web app, the REST API and the AI gateway."""
    import uvicorn

    from tutela.app import create_app

    runtime = _runtime()
    if run_migrations:
        from tutela.storage.migrations import upgrade_all

        upgrade_all(runtime)
    if demo:
        from tutela.demo import ensure_demo

        creds = ensure_demo(runtime)
        click.echo(f"Demo organization: {creds.organization}")
        for email in creds.emails:
            click.echo(f"  user: {email}")
        click.echo(
            f"  password: {creds.password}" if creds.password else "  password: as set when first created"
        )
    settings = runtime.settings.server
    uvicorn.run(
        create_app(runtime=runtime),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=False,
    )


@main.command()
@click.option("--workers", default=None, type=int, help="Worker threads (default from settings).")
def worker(workers: int | None) -> None:
    """Run a job worker for a scaled-out deployment (Redis or PostgreSQL queue)."""
    runtime = _runtime()
    runtime.jobs.consumer(workers, embedded=False).run()


@main.group()
def orgs() -> None:
    """Organizations."""


@orgs.command("create")
@click.argument("name")
@click.option("--region", required=True, help="Region the organization is pinned to, for good.")
@click.option("--admin-email", default=None, help="Create a first admin with this email.")
@click.option("--admin-password", default=None, help="Their password (or TUTELA_PASSWORD).")
@domain_errors
def orgs_create(name: str, region: str, admin_email: str | None, admin_password: str | None) -> None:
    """Create an organization in a region."""
    from tutela.core.organizations import service as organizations

    runtime = _runtime()
    admin = None
    if admin_email:
        admin = organizations.NewAdmin(email=admin_email, display_name="", password=_password(admin_password))
    org = organizations.create(runtime, name=name, region=region, actor="cli", admin=admin)
    click.echo(f"created organization {org.slug} ({org.id}) in region {org.region}")


@orgs.command("list")
@domain_errors
def orgs_list() -> None:
    """List organizations and their regions."""
    from tutela.core.directory import service as directory

    runtime = _runtime()
    with runtime.directory.session() as ddb:
        for placement in directory.list_placements(ddb):
            click.echo(f"{placement.slug}\t{placement.region}\t{placement.id}")


@main.group()
def users() -> None:
    """Users of an organization."""


@users.command("create")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--email", required=True)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password", default=None, help="Password (or TUTELA_PASSWORD, or a prompt).")
@click.option("--role", type=click.Choice(["learner", "author", "coach", "admin"]), default="learner")
@click.option(
    "--group", "group_name", default=None, help="Group to join (created if missing; default Everyone)."
)
@domain_errors
def users_create(
    org_name: str, email: str, display_name: str, password: str | None, role: str, group_name: str | None
) -> None:
    """Add a user to an organization with a role in a group."""
    from tutela.core.groups import service as groups
    from tutela.core.organizations import service as organizations
    from tutela.core.permissions.roles import Role
    from tutela.core.users import service as users_service

    runtime = _runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        group = (
            (
                groups.find(db, org_id=org_id, name=group_name)
                or groups.create(db, org_id=org_id, name=group_name)
            )
            if group_name
            else organizations.everyone_group(db, org_id=org_id)
        )
        user = users_service.create(
            db,
            org_id=org_id,
            email=email,
            display_name=display_name,
            password=_password(password),
            min_password_length=runtime.settings.auth.min_password_length,
        )
        groups.add_member(db, org_id=org_id, group_id=group.id, user_id=user.id, role=Role(role))
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor="cli",
            action="user.created",
            target=f"user:{user.id}",
            details={"role": role, "group": group.id},
        )
    click.echo(f"created user {user.email} ({user.id}) as {role} in {group.name}")


@main.group()
def staff() -> None:
    """Platform staff: operators, safety reviewers and managers."""


@staff.command("create")
@click.option("--email", required=True)
@click.option("--password", default=None, help="Password (or TUTELA_PASSWORD, or a prompt).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["operator", "safety_reviewer", "safety_manager"]),
)
@click.option("--location", required=True, help="Jurisdiction the person works in, e.g. EEA or US.")
@domain_errors
def staff_create(email: str, password: str | None, roles: tuple[str, ...], location: str) -> None:
    """Add a platform staff member."""
    from tutela.core.auth import staff as staff_service
    from tutela.core.permissions.roles import StaffRole

    runtime = _runtime()
    with runtime.directory.session() as ddb:
        member = staff_service.create_staff(
            ddb,
            email=email,
            password=_password(password),
            roles={StaffRole(r) for r in roles},
            location=location,
            min_password_length=runtime.settings.auth.min_password_length,
        )
    click.echo(f"created staff member {member.email} ({member.id})")


@main.group()
def keys() -> None:
    """API keys of the AI gateway."""


@keys.command("create")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--resource", "resource_name", default="default", help="AI resource (default: default).")
@click.option("--name", default="cli", help="A label for the key.")
@click.option("--expires-days", default=None, type=click.IntRange(1, 3650), help="Lifetime in days.")
@domain_errors
def keys_create(org_name: str, resource_name: str, name: str, expires_days: int | None) -> None:
    """Create an API key; the key alone is printed on the last line."""
    from tutela.core.organizations import service as organizations
    from tutela.errors import NotFound
    from tutela.gateway.resources import service as resources

    runtime = _runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name=resource_name)
        if resource is None:
            raise NotFound(f"AI resource {resource_name!r} not found")
        expires = runtime.clock.now() + timedelta(days=expires_days) if expires_days else None
        key, raw = resources.create_key(
            db, org_id=org_id, resource_id=resource.id, name=name, expires_at=expires
        )
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor="cli",
            action="ai.key_created",
            target=f"key:{key.id}",
            details={"resource": resource.id},
        )
    click.echo(f"created API key {key.id} for resource {resource.name}; it is shown once:", err=True)
    click.echo(raw)


@main.group()
def deployments() -> None:
    """Deployments of the AI gateway: model names mapped to providers."""


@deployments.command("create")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--name", required=True, help="The name clients pass as `model` (or the Azure deployment).")
@click.option("--provider", required=True, type=click.Choice(["extractive", "openai", "azure-openai"]))
@click.option("--base-url", default=None, help="Upstream base URL (openai) or endpoint (azure-openai).")
@click.option("--model", default=None, help="Upstream model (openai) or Azure deployment name.")
@click.option(
    "--api-key-env", default=None, help="Environment variable holding the upstream key (never printed)."
)
@click.option(
    "--api-key-stdin", is_flag=True, help="Read the upstream key from stdin and store it encrypted."
)
@click.option("--api-version", default=None, help="Azure OpenAI api-version.")
@click.option("--resource", "resource_name", default="default", help="AI resource (default: default).")
@domain_errors
def deployments_create(
    org_name: str,
    name: str,
    provider: str,
    base_url: str | None,
    model: str | None,
    api_key_env: str | None,
    api_key_stdin: bool,
    api_version: str | None,
    resource_name: str,
) -> None:
    """Create a deployment; upstream secrets come from an environment variable or are stored encrypted."""
    from tutela.core.organizations import service as organizations
    from tutela.errors import NotFound
    from tutela.gateway.deployments import service as deployment_service
    from tutela.gateway.providers.registry import default_registry
    from tutela.gateway.resources import service as resources

    runtime = _runtime()
    api_key = sys.stdin.readline().strip() if api_key_stdin else None
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name=resource_name)
        if resource is None:
            raise NotFound(f"AI resource {resource_name!r} not found")
        deployment = deployment_service.create(
            runtime,
            db,
            registry=default_registry(),
            org_id=org_id,
            resource_id=resource.id,
            name=name,
            provider=provider,
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            api_key=api_key,
            api_version=api_version,
        )
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor="cli",
            action="ai.deployment_created",
            target=f"deployment:{deployment.id}",
            details={"name": name, "provider": provider},
        )
    click.echo(f"created deployment {deployment.name} ({deployment.provider}, {deployment.model})")


@deployments.command("list")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@domain_errors
def deployments_list(org_name: str) -> None:
    """List deployments: name, provider, model, resource, and where the upstream key comes from."""
    from tutela.core.organizations import service as organizations
    from tutela.gateway.deployments import service as deployment_service
    from tutela.gateway.resources import service as resources

    runtime = _runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        names = {r.id: r.name for r in resources.list_resources(db, org_id=org_id)}
        for d in deployment_service.list_deployments(db, org_id=org_id):
            secret = (
                "stored encrypted"
                if d.sealed_api_key
                else f"env {d.options['api_key_env']}"
                if "api_key_env" in d.options
                else "none"
            )
            click.echo(
                f"{d.name}\t{d.provider}\t{d.model}\tresource={names.get(d.resource_id)}\tkey={secret}"
            )


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@domain_errors
def audit_verify(org_name: str) -> None:
    """Check an organization's hash chain; exit 1 if anything was altered or removed."""
    from tutela.core.audit import service as audit_service
    from tutela.core.organizations import service as organizations

    runtime = _runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        result = audit_service.verify(db, key=organizations.audit_key(runtime), org_id=org_id)
    if result.ok:
        click.echo(f"audit log intact: {result.entries} entries")
        return
    for problem in result.problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    sys.exit(1)


LOCAL_AUTHOR_ORG = "local-author"


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory.")
@click.option(
    "--prompt",
    "prompt_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="Instructions file.",
)
@click.option(
    "--deployment", default="extractive", help="Gateway deployment to write with (default: extractive)."
)
@click.option("--password", default=None, help="Password of an encrypted PDF.")
@domain_errors
def generate(file: str, out: str, prompt_file: str | None, deployment: str, password: str | None) -> None:
    """Write a module (module.json, module.md, checks.json) from a PDF, offline on the local data dir."""
    import asyncio
    import json
    import time
    from pathlib import Path

    from tutela.authoring.generation.checks import check_grounding, citations
    from tutela.authoring.generation.markdown import render_markdown
    from tutela.authoring.generation.pipeline import generate_module
    from tutela.authoring.generation.schemas import Module
    from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf
    from tutela.core.directory import service as directory
    from tutela.core.organizations import service as organizations
    from tutela.errors import NotFound
    from tutela.gateway.access import caller_for_org
    from tutela.gateway.pipeline import Gateway
    from tutela.storage.migrations import upgrade_all

    started = time.monotonic()
    source, out_dir = Path(file), Path(out)
    instructions = Path(prompt_file).read_text(encoding="utf-8") if prompt_file else ""
    try:
        document = extract_pdf(source.read_bytes(), password=password, limits=IngestLimits())
    except IngestError as exc:
        raise click.ClickException(exc.message) from None
    runtime = _runtime()
    upgrade_all(runtime)
    with runtime.directory.session() as ddb:
        try:
            org_id = directory.find_by_slug(ddb, slug=directory.slugify(LOCAL_AUTHOR_ORG)).id
        except NotFound:
            org_id = None
    if org_id is None:
        home = runtime.settings.home_region
        org_id = organizations.create(runtime, name=LOCAL_AUTHOR_ORG, region=home, actor="cli").id
    caller = caller_for_org(runtime, org_id)

    async def run() -> Module:
        gateway = Gateway(runtime)
        try:
            return await generate_module(
                gateway=gateway,
                caller=caller,
                document=document,
                deployment=deployment,
                instructions=instructions,
            )
        finally:
            await gateway.close()

    module = asyncio.run(run())
    findings = check_grounding(module, document)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "module.json").write_text(module.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (out_dir / "module.md").write_text(render_markdown(module), encoding="utf-8")
    checks = [f.model_dump() for f in findings]
    (out_dir / "checks.json").write_text(json.dumps(checks, indent=2, ensure_ascii=False) + "\n", "utf-8")
    cited = citations(module)
    failed = {f.location for f in findings if f.rule in ("quote_not_found", "page_out_of_range")}
    share = 100 * (len(cited) - len(failed)) // len(cited) if cited else 100  # never rounds up to 100
    lessons = sum(len(c.lessons) for c in module.chapters)

    def counted(n: int, noun: str) -> str:
        return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

    counts = ", ".join(
        counted(n, noun)
        for n, noun in (
            (document.page_count, "page"),
            (len(module.chapters), "chapter"),
            (lessons, "lesson"),
            (len(module.questions), "question"),
        )
    )
    click.echo(
        f"{source.name}: {counts}, {share}% of {counted(len(cited), 'citation')} verified, "
        f"{time.monotonic() - started:.1f} s → {out_dir / 'module.json'}"
    )


# --------------------------------------------------------------------------------------- abuse monitoring

from tutela.gateway.monitoring import jobs as _monitoring_jobs  # noqa: E402, F401 - registers the purge job

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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
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

    runtime = _runtime()
    principal = _signed_in_staff(runtime, staff_email, password)
    found = review.decide_opt_out(
        runtime, principal=principal, opt_out_id=opt_out_id, approve=approve, note=note
    )
    click.echo(f"opt-out {found.row.id} {found.row.status}")


if __name__ == "__main__":
    main()
