"""Who is calling: a user of an organization, or a member of the platform staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutela.core.permissions.roles import StaffRole


@dataclass(frozen=True)
class UserPrincipal:
    """A signed-in user; `token_id` is the session or API token used."""

    org_id: str
    user_id: str
    token_id: str
    token_kind: str

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"user:{self.user_id}"


@dataclass(frozen=True)
class StaffPrincipal:
    """A signed-in platform staff member."""

    staff_id: str
    token_id: str
    location: str
    roles: frozenset[StaffRole] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"staff:{self.staff_id}"
