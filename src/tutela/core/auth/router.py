"""Sign-in, sign-out, the current user and their API tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response, status

from tutela.core import schemas
from tutela.core.auth import signin
from tutela.core.auth.dependencies import (
    SESSION_COOKIE,
    CurrentUser,
    RegionDB,
    RuntimeDep,
    bearer_only,
    client_address,
)
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission, Role
from tutela.core.users import service as users

router = APIRouter(prefix="/api", tags=["auth"])


@router.post("/auth/login", response_model=schemas.TokenIssued)
def login(
    body: schemas.LoginCreate, request: Request, runtime: RuntimeDep, response: Response
) -> schemas.TokenIssued:
    """Sign in with organization, email and password; returns a session token and sets the session cookie.
    Repeated failures for an account or from an address get 429 with Retry-After, growing each time."""
    session = signin.sign_in_user(
        runtime,
        organization=body.organization,
        email=body.email,
        password=body.password,
        address=client_address(request),
    )
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.auth.secure_cookies,
        max_age=runtime.settings.auth.session_hours * 3600,
    )
    return schemas.TokenIssued(id=session.token_id, token=session.token, expires_at=session.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(bearer_only)])
def logout(principal: CurrentUser, db: RegionDB, runtime: RuntimeDep, response: Response) -> None:
    """Revoke the token used for this request and clear the cookie."""
    users.revoke_token(
        db,
        org_id=principal.org_id,
        user_id=principal.user_id,
        token_id=principal.token_id,
        now=runtime.clock.now(),
    )
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=schemas.MeRead)
def me(principal: CurrentUser, db: RegionDB) -> schemas.MeRead:
    """The signed-in user, their roles and what the matrix lets them do."""
    user = users.get(db, org_id=principal.org_id, user_id=principal.user_id)
    org = organizations.get(db, org_id=principal.org_id)
    roles = permissions.roles_of(db, org_id=org.id, user_id=user.id)
    granted = [p for p in Permission if permissions.allows(db, org_id=org.id, user_id=user.id, permission=p)]
    return schemas.MeRead(
        user=schemas.UserRead.model_validate(user),
        organization_id=org.id,
        region=org.region,
        roles=sorted(roles),
        permissions=granted,
        is_admin=Role.ADMIN in roles,
        ai_enabled=org.ai_enabled,
    )


@router.post("/me/tokens", response_model=schemas.TokenIssued, status_code=status.HTTP_201_CREATED)
def create_token(
    body: schemas.TokenCreate, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> schemas.TokenIssued:
    """Create an API token for scripts; it is shown once."""
    now = runtime.clock.now()
    expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token, raw = users.issue_token(
        db, org_id=principal.org_id, user_id=principal.user_id, kind="api", name=body.name, expires_at=expires
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="token.created",
        target=f"token:{token.id}",
        details={"name": body.name},
    )
    return schemas.TokenIssued(id=token.id, token=raw, expires_at=expires)


@router.get("/me/tokens", response_model=list[schemas.TokenRead])
def list_tokens(principal: CurrentUser, db: RegionDB) -> list[schemas.TokenRead]:
    """The caller's API tokens (never their secrets)."""
    tokens = users.list_tokens(db, org_id=principal.org_id, user_id=principal.user_id)
    return [schemas.TokenRead.model_validate(t) for t in tokens]


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Revoke one of the caller's tokens."""
    users.revoke_token(
        db, org_id=principal.org_id, user_id=principal.user_id, token_id=token_id, now=runtime.clock.now()
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="token.revoked",
        target=f"token:{token_id}",
    )
