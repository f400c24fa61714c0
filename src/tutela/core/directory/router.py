"""The platform operator's API: staff sign-in, regions and organizations."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status

from tutela.core import schemas
from tutela.core.auth import signin, staff
from tutela.core.auth.dependencies import CurrentStaff, DirectoryDB, RuntimeDep, bearer_only, client_address
from tutela.core.directory import service as directory
from tutela.core.organizations import service as organizations
from tutela.core.permissions.roles import StaffRole

router = APIRouter(prefix="/api/platform", tags=["platform"])


@router.post("/auth/login", response_model=schemas.TokenIssued)
def staff_login(body: schemas.StaffLoginCreate, request: Request, runtime: RuntimeDep) -> schemas.TokenIssued:
    """Sign in as platform staff; repeated failures get 429 with Retry-After, growing each time."""
    session = signin.sign_in_staff(
        runtime, email=body.email, password=body.password, address=client_address(request)
    )
    return schemas.TokenIssued(id=session.token_id, token=session.token, expires_at=session.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(bearer_only)])
def staff_logout(principal: CurrentStaff, db: DirectoryDB, runtime: RuntimeDep) -> None:
    """Sign out: the token used for this call stops working at once."""
    staff.revoke_token(db, token_id=principal.token_id, now=runtime.clock.now())


@router.get("/regions", response_model=list[schemas.RegionRead])
def list_regions(principal: CurrentStaff, runtime: RuntimeDep) -> list[schemas.RegionRead]:
    """The configured regions."""
    return [
        schemas.RegionRead(name=r.name, jurisdiction=r.settings.jurisdiction)
        for r in runtime.regions.values()
    ]


@router.get("/organizations", response_model=list[schemas.PlacementRead])
def list_organizations(principal: CurrentStaff, db: DirectoryDB) -> list[schemas.PlacementRead]:
    """Every organization and its region (the directory holds nothing more)."""
    staff.require_role(principal, StaffRole.OPERATOR)
    return [schemas.PlacementRead.model_validate(p) for p in directory.list_placements(db)]


@router.post("/organizations", response_model=schemas.PlacementRead, status_code=status.HTTP_201_CREATED)
def create_organization(
    body: schemas.OrganizationCreate, principal: CurrentStaff, runtime: RuntimeDep
) -> schemas.PlacementRead:
    """Create an organization pinned to a region, optionally with its first admin."""
    staff.require_role(principal, StaffRole.OPERATOR)
    admin = None
    if body.admin_email:
        admin = organizations.NewAdmin(
            email=body.admin_email, display_name="", password=body.admin_password or ""
        )
    org = organizations.create(
        runtime, name=body.name, region=body.region, actor=principal.actor, admin=admin
    )
    return schemas.PlacementRead(id=org.id, slug=org.slug, region=org.region, created_at=org.created_at)
