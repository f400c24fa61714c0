"""Groups and memberships."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.core.groups.models import Group, Membership
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Role
from tutela.core.users import service as users
from tutela.errors import Conflict, NotFound
from tutela.storage.tenancy import get_owned, scoped


def create(db: Session, *, org_id: str, name: str, description: str = "") -> Group:
    """A new group; names are unique in the organization."""
    name = name.strip()
    if db.scalars(scoped(Group, org_id).where(Group.name == name)).first() is not None:
        raise Conflict(f"a group named {name!r} already exists", param="name")
    group = Group(org_id=org_id, name=name, description=description)
    db.add(group)
    db.flush()
    return group


def get(db: Session, *, org_id: str, group_id: str) -> Group:
    """One group of the organization."""
    return get_owned(db, Group, group_id, org_id=org_id, what="group")


def find(db: Session, *, org_id: str, name: str) -> Group | None:
    """A group by name."""
    return db.scalars(scoped(Group, org_id).where(Group.name == name)).one_or_none()


def list_groups(db: Session, *, org_id: str) -> list[Group]:
    """All groups, by name."""
    return list(db.scalars(scoped(Group, org_id).order_by(Group.name)))


def add_member(db: Session, *, org_id: str, group_id: str, user_id: str, role: Role) -> Membership:
    """Give a user a role in a group (replacing the role they had there)."""
    get(db, org_id=org_id, group_id=group_id)
    users.get(db, org_id=org_id, user_id=user_id)
    membership = db.scalars(
        scoped(Membership, org_id).where(Membership.group_id == group_id, Membership.user_id == user_id)
    ).one_or_none()
    if membership is None:
        membership = Membership(org_id=org_id, group_id=group_id, user_id=user_id, role=role.value)
        db.add(membership)
    else:
        if role != Role.ADMIN:
            permissions.keep_an_active_admin(db, org_id=org_id, user_id=user_id, group_id=group_id)
        membership.role = role.value
    db.flush()
    return membership


def remove_member(db: Session, *, org_id: str, group_id: str, user_id: str) -> None:
    """Take a user out of a group."""
    # Look both ids up through get_owned first: it answers NotFound for ids that are not ours or not even
    # ids (a NUL byte in a raw id made PostgreSQL fail with a 500 here).
    get(db, org_id=org_id, group_id=group_id)
    users.get(db, org_id=org_id, user_id=user_id)
    membership = db.scalars(
        scoped(Membership, org_id).where(Membership.group_id == group_id, Membership.user_id == user_id)
    ).one_or_none()
    if membership is None:
        raise NotFound(f"user {user_id!r} is not a member of group {group_id!r}")
    permissions.keep_an_active_admin(db, org_id=org_id, user_id=user_id, group_id=group_id)
    db.delete(membership)
    db.flush()


def members(db: Session, *, org_id: str, group_id: str) -> list[Membership]:
    """Memberships of one group."""
    get(db, org_id=org_id, group_id=group_id)
    return list(db.scalars(scoped(Membership, org_id).where(Membership.group_id == group_id)))


def group_ids_of(db: Session, *, org_id: str, user_id: str) -> set[str]:
    """Ids of the groups a user belongs to (for visibility checks)."""
    stmt = select(Membership.group_id).where(Membership.org_id == org_id, Membership.user_id == user_id)
    return set(db.scalars(stmt))
