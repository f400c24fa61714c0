"""The permission matrix: every permission check in Tutela goes through `require` or `allows`."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tutela.core.groups.models import Membership
from tutela.core.permissions.exceptions import AdminOnly, LastAdmin, NotAllowed
from tutela.core.permissions.models import RolePermission
from tutela.core.permissions.roles import DEFAULT_MATRIX, Permission, Role
from tutela.core.users.models import User
from tutela.storage.db import is_valid_id


def seed_defaults(db: Session, *, org_id: str) -> None:
    """Write the default matrix for a new organization."""
    for role in Role:
        for permission in Permission:
            db.add(
                RolePermission(
                    org_id=org_id,
                    role=role.value,
                    permission=permission.value,
                    allowed=permission in DEFAULT_MATRIX[role],
                )
            )
    db.flush()


def matrix(db: Session, *, org_id: str) -> dict[Role, dict[Permission, bool]]:
    """The full matrix of an organization, every role × every permission."""
    cells = {
        (Role(c.role), Permission(c.permission)): c.allowed
        for c in db.scalars(select(RolePermission).where(RolePermission.org_id == org_id))
    }
    return {role: {p: cells.get((role, p), p in DEFAULT_MATRIX[role]) for p in Permission} for role in Role}


def set_cell(db: Session, *, org_id: str, role: Role, permission: Permission, allowed: bool) -> None:
    """Change one cell of the matrix."""
    cell = db.get(RolePermission, (org_id, role.value, permission.value))
    if cell is None:
        db.add(RolePermission(org_id=org_id, role=role.value, permission=permission.value, allowed=allowed))
    else:
        cell.allowed = allowed
    db.flush()


def roles_of(db: Session, *, org_id: str, user_id: str) -> set[Role]:
    """A user's roles in the organization: the union over their groups."""
    stmt = select(Membership.role).where(Membership.org_id == org_id, Membership.user_id == user_id)
    return {Role(r) for r in db.scalars(stmt)}


def allows(db: Session, *, org_id: str, user_id: str, permission: Permission) -> bool:
    """True when any of the user's roles is granted the permission."""
    roles = roles_of(db, org_id=org_id, user_id=user_id)
    if not roles:
        return False
    stmt = select(RolePermission.allowed).where(
        RolePermission.org_id == org_id,
        RolePermission.permission == permission.value,
        RolePermission.role.in_([r.value for r in roles]),
    )
    return any(db.scalars(stmt))


def holders(db: Session, *, org_id: str, permission: Permission) -> list[User]:
    """The active users whose roles grant the permission (e.g. who may publish), by name."""
    granted = [role.value for role, cells in matrix(db, org_id=org_id).items() if cells[permission]]
    stmt = (
        select(User)
        .join(Membership, (Membership.user_id == User.id) & (Membership.org_id == org_id))
        .where(User.org_id == org_id, User.is_active.is_(True), Membership.role.in_(granted))
        .distinct()
    )
    return sorted(db.scalars(stmt), key=lambda u: (u.display_name or u.email).casefold())


def require(db: Session, *, org_id: str, user_id: str, permission: Permission) -> None:
    """Raise NotAllowed unless the matrix grants the permission."""
    if not allows(db, org_id=org_id, user_id=user_id, permission=permission):
        raise NotAllowed(f"your roles do not include the permission {permission.value!r}")


def require_admin(db: Session, *, org_id: str, user_id: str) -> None:
    """Raise AdminOnly unless the user is an admin of some group of the organization."""
    if Role.ADMIN not in roles_of(db, org_id=org_id, user_id=user_id):
        raise AdminOnly("only an organization admin may change organization settings")


def require_admin_for_admins(
    db: Session, *, org_id: str, user_id: str, role: Role | None = None, target_user_id: str | None = None
) -> None:
    """Raise AdminOnly unless the caller is an admin, for changes that grant the admin role or touch an admin.

    Without this, whoever the matrix lets manage users could make themselves admin (and then edit the matrix),
    or deactivate or demote every admin. Ids that are not ids are left to the caller's lookup (NotFound).
    """
    touches_admin = role == Role.ADMIN or (
        target_user_id is not None
        and is_valid_id(target_user_id)
        and Role.ADMIN in roles_of(db, org_id=org_id, user_id=target_user_id)
    )
    if touches_admin:
        require_admin(db, org_id=org_id, user_id=user_id)


def keep_an_active_admin(db: Session, *, org_id: str, user_id: str, group_id: str | None = None) -> None:
    """Raise LastAdmin when the user's adminship (in one group, or everywhere) is all the admin left.

    Called before a user is deactivated (no group: every membership of theirs stops counting) and before
    an admin membership is changed to another role or removed (that group only): with no active admin the
    organization could never change its settings, matrix or people again.
    """
    held = select(Membership.user_id).join(User, User.id == Membership.user_id)
    held = held.where(
        Membership.org_id == org_id, Membership.role == Role.ADMIN.value, User.is_active.is_(True)
    )
    if group_id is None:
        losing = held.where(Membership.user_id == user_id)
        remaining = held.where(Membership.user_id != user_id)
    else:
        losing = held.where(Membership.user_id == user_id, Membership.group_id == group_id)
        remaining = held.where(or_(Membership.user_id != user_id, Membership.group_id != group_id))
    if db.scalars(losing.limit(1)).first() is not None and db.scalars(remaining.limit(1)).first() is None:
        raise LastAdmin(
            "this would leave the organization without an active admin; make someone else admin first"
        )
