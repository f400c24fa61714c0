"""Commands for the platform and organizations: serve, migrate, worker, orgs, users, staff, keys, audit."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from tutela.cli.common import domain_errors, main, open_runtime, password_from


@main.command()
@domain_errors
def migrate() -> None:
    """Bring the directory and every region's databases to the newest schema."""
    from tutela.storage.migrations import upgrade_all

    runtime = open_runtime()
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

    runtime = open_runtime()
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
    from tutela.doctor import log_report, report

    log_report(report(runtime))  # an incomplete installation is named now, not by the first request
    settings = runtime.settings.server
    app = create_app(runtime=runtime)
    _settle()
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        access_log=False,
    )


def _settle() -> None:
    """Load the content classifier now, then freeze what exists into the collector's permanent generation:
    the long-lived objects (models, routes, mappings) are then never traversed again, which keeps full
    collections, and the latency spikes they cause under load, short."""
    import gc

    from tutela.gateway.safety.classifier import SafetyClassifier

    SafetyClassifier.load()
    gc.collect()
    gc.freeze()


@main.command()
@click.option("--workers", default=None, type=int, help="Worker threads (default from settings).")
def worker(workers: int | None) -> None:
    """Run a job worker for a scaled-out deployment (Redis or PostgreSQL queue); it also retries or fails
    the jobs of workers that died (their lease ran out)."""
    from tutela.storage.jobs import Reaper

    runtime = open_runtime()
    reaper = Reaper(runtime).start()
    try:
        runtime.jobs.consumer(workers, embedded=False).run()
    finally:
        reaper.stop()


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

    runtime = open_runtime()
    admin = None
    if admin_email:
        admin = organizations.NewAdmin(
            email=admin_email, display_name="", password=password_from(admin_password)
        )
    org = organizations.create(runtime, name=name, region=region, actor="cli", admin=admin)
    click.echo(f"created organization {org.slug} ({org.id}) in region {org.region}")


@orgs.command("list")
@domain_errors
def orgs_list() -> None:
    """List organizations and their regions."""
    from tutela.core.directory import service as directory

    runtime = open_runtime()
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

    runtime = open_runtime()
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
            password=password_from(password),
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


@users.command("unlock")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--email", required=True)
@domain_errors
def users_unlock(org_name: str, email: str) -> None:
    """Let a user whose failed sign-ins made them wait sign in again at once."""
    from tutela.core.auth import signin
    from tutela.core.organizations import service as organizations
    from tutela.core.users import service as users_service
    from tutela.errors import NotFound

    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        user = users_service.find_by_email(db, org_id=org_id, email=email)
        if user is None:
            raise NotFound(f"no user with email {email!r} in this organization")
        org = organizations.get(db, org_id=org_id)
        signin.unlock_user(runtime, organization_slug=org.slug, email=user.email)
        organizations.record(
            runtime, db, org_id=org_id, actor="cli", action="user.unlocked", target=f"user:{user.id}"
        )
    click.echo(f"unlocked {user.email}: they may sign in again now")


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

    runtime = open_runtime()
    with runtime.directory.session() as ddb:
        member = staff_service.create_staff(
            ddb,
            email=email,
            password=password_from(password),
            roles={StaffRole(r) for r in roles},
            location=location,
            min_password_length=runtime.settings.auth.min_password_length,
        )
    click.echo(f"created staff member {member.email} ({member.id})")


@staff.command("unlock")
@click.option("--email", required=True)
@domain_errors
def staff_unlock(email: str) -> None:
    """Let a staff member whose failed sign-ins made them wait sign in again at once."""
    from tutela.core.auth import signin

    runtime = open_runtime()
    signin.unlock_staff(runtime, email=email)
    click.echo(f"unlocked {email.strip().lower()}: they may sign in again now")


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

    runtime = open_runtime()
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
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.option("--org", "org_name", required=True, help="Organization name, slug or id.")
@click.option("--anchor", default=None, help="A head printed by an earlier verify (SEQ:HASH).")
@domain_errors
def audit_verify(org_name: str, anchor: str | None) -> None:
    """Check an organization's hash chain; exit 1 if anything was altered or removed.

    Prints the head: keep it outside Tutela and pass it back with --anchor to detect the newest entries
    being cut off together with the head.
    """
    from tutela.core.audit import service as audit_service
    from tutela.core.organizations import service as organizations

    kept = audit_service.Anchor.parse(anchor) if anchor is not None else None
    runtime = open_runtime()
    org_id, _ = organizations.resolve(runtime, name_or_id=org_name)
    with runtime.region_session(org_id) as db:
        result = audit_service.verify(db, key=organizations.audit_key(runtime), org_id=org_id, anchor=kept)
    if result.ok:
        click.echo(f"audit log intact: {result.entries} entries; head {result.head}")
        return
    for problem in result.problems:
        click.echo(f"TAMPERED: {problem}", err=True)
    sys.exit(1)
