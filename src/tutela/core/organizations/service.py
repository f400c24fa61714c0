"""Organizations: creation across the directory and the region, settings, and the customer key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.core.audit import service as audit
from tutela.core.directory import service as directory
from tutela.core.groups import service as groups
from tutela.core.groups.models import Group
from tutela.core.organizations.models import Organization
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Role
from tutela.core.users import service as users
from tutela.errors import NotFound
from tutela.runtime import Runtime

EVERYONE_GROUP = "Everyone"


@dataclass(frozen=True)
class NewAdmin:
    """The first admin of a new organization."""

    email: str
    display_name: str
    password: str


def create(
    runtime: Runtime, *, name: str, region: str, actor: str, admin: NewAdmin | None = None
) -> Organization:
    """Place a new organization in a region and set it up there: matrix, root group, default AI resource.

    The directory gets only id, slug and region. If the region part fails, the placement is removed again.
    """
    target = runtime.region(region)
    slug = directory.slugify(name)
    with runtime.directory.session() as ddb:
        placement = directory.place(ddb, org_id=_new_org_id(), slug=slug, region=target.name)
    try:
        with target.db.session() as db:
            org = Organization(id=placement.id, slug=slug, name=name.strip(), region=target.name)
            db.add(org)
            db.flush()
            permissions.seed_defaults(db, org_id=org.id)
            everyone = groups.create(db, org_id=org.id, name=EVERYONE_GROUP, description="Every member")
            runtime.provision_organization(db, org_id=org.id)
            record(
                runtime,
                db,
                org_id=org.id,
                actor=actor,
                action="org.created",
                target=f"org:{org.id}",
                details={"region": target.name},
            )
            if admin is not None:
                user = users.create(
                    db,
                    org_id=org.id,
                    email=admin.email,
                    display_name=admin.display_name,
                    password=admin.password,
                    min_password_length=runtime.settings.auth.min_password_length,
                )
                groups.add_member(db, org_id=org.id, group_id=everyone.id, user_id=user.id, role=Role.ADMIN)
                record(
                    runtime,
                    db,
                    org_id=org.id,
                    actor=actor,
                    action="user.created",
                    target=f"user:{user.id}",
                    details={"role": Role.ADMIN.value},
                )
    except BaseException:
        with runtime.directory.session() as ddb:
            directory.remove(ddb, org_id=placement.id)
        raise
    return org


def _new_org_id() -> str:
    from tutela.storage.db import new_id

    return new_id()


def record(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, object] | None = None,
) -> None:
    """Write one audit entry with the runtime's clock and audit key."""
    audit.record(
        db,
        key=audit_key(runtime),
        org_id=org_id,
        actor=actor,
        action=action,
        at=runtime.clock.now(),
        target=target,
        details=dict(details or {}),
    )


def audit_key(runtime: Runtime) -> bytes:
    """The MAC key of audit chains, derived from the service key."""
    return runtime.keyring.derive("tutela audit chain v1")


def get(db: Session, *, org_id: str) -> Organization:
    """The organization row in its region."""
    org = db.get(Organization, org_id)
    if org is None:
        raise NotFound(f"organization {org_id!r} not found")
    return org


def resolve(runtime: Runtime, *, name_or_id: str) -> tuple[str, str]:
    """(org id, region) from a slug, a name or an id — for the CLI."""
    with runtime.directory.session() as ddb:
        try:
            placement = directory.find_by_slug(ddb, slug=directory.slugify(name_or_id))
        except NotFound:
            placement_region = directory.region_of(ddb, org_id=name_or_id)
            return name_or_id, placement_region
        return placement.id, placement.region


def set_ai_enabled(db: Session, *, org_id: str, enabled: bool) -> Organization:
    """Switch every AI feature of the organization on or off."""
    org = get(db, org_id=org_id)
    org.ai_enabled = enabled
    db.flush()
    return org


def set_authoring_document_filter(db: Session, *, org_id: str, level: str) -> Organization:
    """Set the severity from which authoring's requests refuse the organization's own documents."""
    org = get(db, org_id=org_id)
    org.authoring_document_filter = level
    db.flush()
    return org


def everyone_group(db: Session, *, org_id: str) -> Group:
    """The group every member of the organization is in."""
    group = db.scalars(
        select(Group).where(Group.org_id == org_id, Group.name == EVERYONE_GROUP)
    ).one_or_none()
    if group is None:
        raise NotFound("the organization has no Everyone group")
    return group
