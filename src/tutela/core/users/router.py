"""Managing the people of an organization."""

from __future__ import annotations

from fastapi import APIRouter, status

from tutela.core import schemas
from tutela.core.auth import signin
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission
from tutela.core.users import service as users

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("", response_model=list[schemas.UserRead])
def list_users(principal: CurrentUser, db: RegionDB) -> list[schemas.UserRead]:
    """All users of the organization."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    return [schemas.UserRead.model_validate(u) for u in users.list_users(db, org_id=principal.org_id)]


@router.post("", response_model=schemas.UserRead, status_code=status.HTTP_201_CREATED)
def create_user(
    body: schemas.UserCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.UserRead:
    """Add a user with a role in a group (the Everyone group by default)."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    permissions.require_admin_for_admins(
        db, org_id=principal.org_id, user_id=principal.user_id, role=body.role
    )
    group = (
        groups.get(db, org_id=principal.org_id, group_id=body.group_id)
        if body.group_id
        else organizations.everyone_group(db, org_id=principal.org_id)
    )
    user = users.create(
        db,
        org_id=principal.org_id,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        min_password_length=runtime.settings.auth.min_password_length,
    )
    groups.add_member(db, org_id=principal.org_id, group_id=group.id, user_id=user.id, role=body.role)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="user.created",
        target=f"user:{user.id}",
        details={"role": body.role.value, "group": group.id},
    )
    return schemas.UserRead.model_validate(user)


@router.get("/{user_id}", response_model=schemas.UserRead)
def read_user(user_id: str, principal: CurrentUser, db: RegionDB) -> schemas.UserRead:
    """One user."""
    if user_id != principal.user_id:
        permissions.require(
            db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
        )
    return schemas.UserRead.model_validate(users.get(db, org_id=principal.org_id, user_id=user_id))


@router.patch("/{user_id}", response_model=schemas.UserRead)
def update_user(
    user_id: str, body: schemas.UserUpdate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.UserRead:
    """Deactivate (revoking every token) or reactivate a user."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    permissions.require_admin_for_admins(
        db, org_id=principal.org_id, user_id=principal.user_id, target_user_id=user_id
    )
    user = users.set_active(
        db, org_id=principal.org_id, user_id=user_id, active=body.is_active, now=runtime.clock.now()
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="user.activated" if body.is_active else "user.deactivated",
        target=f"user:{user_id}",
    )
    return schemas.UserRead.model_validate(user)


@router.post("/{user_id}/unlock", status_code=status.HTTP_204_NO_CONTENT)
def unlock_user(user_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Let a user whose failed sign-ins made them wait sign in again at once."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    permissions.require_admin_for_admins(
        db, org_id=principal.org_id, user_id=principal.user_id, target_user_id=user_id
    )
    user = users.get(db, org_id=principal.org_id, user_id=user_id)
    org = organizations.get(db, org_id=principal.org_id)
    signin.unlock_user(runtime, organization_slug=org.slug, email=user.email)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="user.unlocked",
        target=f"user:{user_id}",
    )
