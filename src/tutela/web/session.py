"""Who is looking at a page: the signed-in user (with what the matrix grants them) or a staff member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from tutela.core.auth import secrets
from tutela.core.auth.dependencies import SESSION_COOKIE, RuntimeDep, current_staff, current_user
from tutela.core.auth.principal import StaffPrincipal, UserPrincipal
from tutela.core.notifications import service as notifications
from tutela.core.organizations import service as organizations
from tutela.core.permissions import service as permissions
from tutela.core.permissions.roles import Permission, Role, StaffRole
from tutela.core.users import service as users
from tutela.errors import AuthenticationFailed


@dataclass(frozen=True)
class UserPage:
    """A signed-in organization user as the pages need them: roles, permissions and the AI switch."""

    principal: UserPrincipal
    email: str
    display_name: str
    org_name: str
    org_slug: str
    region: str
    roles: frozenset[Role]
    granted: frozenset[Permission]
    ai_enabled: bool
    unread: int = 0  # notifications not yet read (the number by "Notifications" in the header)

    @property
    def is_admin(self) -> bool:
        """Admins alone change organization settings (the matrix, the AI switch)."""
        return Role.ADMIN in self.roles

    def may(self, permission: str) -> bool:
        """True when the matrix grants the permission (for showing navigation and buttons)."""
        return Permission(permission) in self.granted


@dataclass(frozen=True)
class StaffPage:
    """A signed-in platform staff member."""

    principal: StaffPrincipal

    @property
    def role_names(self) -> list[str]:
        """The platform roles, sorted, for display."""
        return sorted(r.value for r in self.principal.roles)

    def holds(self, role: str) -> bool:
        """True when the staff member holds the platform role."""
        return StaffRole(role) in self.principal.roles


def session_kind(request: Request) -> str | None:
    """'user' or 'staff' by the shape of the session cookie (not verified), or None without one."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        return secrets.parse_token(raw).kind
    except AuthenticationFailed:
        return None


def user_page(request: Request, runtime: RuntimeDep) -> UserPage:
    """The signed-in user, checked as the REST API checks them; AuthenticationFailed sends them to sign in."""
    principal = current_user(request, runtime)
    with runtime.region_session(principal.org_id) as db:
        user = users.get(db, org_id=principal.org_id, user_id=principal.user_id)
        org = organizations.get(db, org_id=principal.org_id)
        roles = permissions.roles_of(db, org_id=org.id, user_id=user.id)
        granted = frozenset(
            p for p in Permission if permissions.allows(db, org_id=org.id, user_id=user.id, permission=p)
        )
        page = UserPage(
            principal=principal,
            email=user.email,
            display_name=user.display_name,
            org_name=org.name,
            org_slug=org.slug,
            region=org.region,
            roles=frozenset(roles),
            granted=granted,
            ai_enabled=org.ai_enabled,
            unread=notifications.unread_count(db, org_id=org.id, user_id=user.id),
        )
    request.state.page = page
    return page


def staff_page(request: Request, runtime: RuntimeDep) -> StaffPage:
    """The signed-in staff member."""
    if session_kind(request) != "staff":
        raise AuthenticationFailed("sign in as platform staff first")
    page = StaffPage(principal=current_staff(request, runtime))
    request.state.staff_page = page
    return page


UserPageDep = Annotated[UserPage, Depends(user_page)]
StaffPageDep = Annotated[StaffPage, Depends(staff_page)]
