"""Permission errors."""

from __future__ import annotations

from tutela.errors import Conflict, PermissionDenied


class NotAllowed(PermissionDenied):
    """The user's roles do not grant the permission."""

    code = "not_allowed"


class AdminOnly(PermissionDenied):
    """Only an organization admin may change organization settings."""

    code = "admin_only"


class AIDisabled(PermissionDenied):
    """The organization has switched AI features off."""

    code = "ai_disabled"


class LastAdmin(Conflict):
    """The change would leave the organization without an active admin, and nobody could undo it."""

    code = "last_admin"
