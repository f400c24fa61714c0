"""The per-organization permission matrix."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, RegionBase


class RolePermission(RegionBase):
    """One cell of the matrix: may `role` do `permission` in this organization."""

    __tablename__ = "role_permissions"

    org_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    permission: Mapped[str] = mapped_column(String(40), primary_key=True)
    allowed: Mapped[bool] = mapped_column(Boolean)
