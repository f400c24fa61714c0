"""Groups and the roles people hold in them."""

from __future__ import annotations

from fastapi import APIRouter, status

from tutela.core import schemas
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission

router = APIRouter(prefix="/api/groups", tags=["groups"])


@router.get("", response_model=list[schemas.GroupRead])
def list_groups(principal: CurrentUser, db: RegionDB) -> list[schemas.GroupRead]:
    """All groups of the organization."""
    return [schemas.GroupRead.model_validate(g) for g in groups.list_groups(db, org_id=principal.org_id)]


@router.post("", response_model=schemas.GroupRead, status_code=status.HTTP_201_CREATED)
def create_group(
    body: schemas.GroupCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.GroupRead:
    """Create a group."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    group = groups.create(db, org_id=principal.org_id, name=body.name, description=body.description)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="group.created",
        target=f"group:{group.id}",
    )
    return schemas.GroupRead.model_validate(group)


@router.get("/{group_id}", response_model=schemas.GroupRead)
def read_group(group_id: str, principal: CurrentUser, db: RegionDB) -> schemas.GroupRead:
    """One group."""
    return schemas.GroupRead.model_validate(groups.get(db, org_id=principal.org_id, group_id=group_id))


@router.get("/{group_id}/members", response_model=list[schemas.MembershipRead])
def list_members(group_id: str, principal: CurrentUser, db: RegionDB) -> list[schemas.MembershipRead]:
    """Who is in a group, with which role."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    return [
        schemas.MembershipRead.model_validate(m)
        for m in groups.members(db, org_id=principal.org_id, group_id=group_id)
    ]


@router.put("/{group_id}/members", response_model=schemas.MembershipRead)
def set_member(
    group_id: str, body: schemas.MembershipCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.MembershipRead:
    """Give a user a role in the group."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    permissions.require_admin_for_admins(
        db, org_id=principal.org_id, user_id=principal.user_id, role=body.role, target_user_id=body.user_id
    )
    membership = groups.add_member(
        db, org_id=principal.org_id, group_id=group_id, user_id=body.user_id, role=body.role
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="membership.set",
        target=f"group:{group_id}",
        details={"user": body.user_id, "role": body.role.value},
    )
    return schemas.MembershipRead.model_validate(membership)


@router.delete("/{group_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(
    group_id: str, user_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> None:
    """Take a user out of the group."""
    permissions.require(
        db, org_id=principal.org_id, user_id=principal.user_id, permission=Permission.MANAGE_USERS
    )
    permissions.require_admin_for_admins(
        db, org_id=principal.org_id, user_id=principal.user_id, target_user_id=user_id
    )
    groups.remove_member(db, org_id=principal.org_id, group_id=group_id, user_id=user_id)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="membership.removed",
        target=f"group:{group_id}",
        details={"user": user_id},
    )
