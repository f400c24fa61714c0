"""Who was asked to review a module."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class ModuleReviewer(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A person assigned to review a module (someone who may publish in the organization)."""

    __tablename__ = "authoring_module_reviewers"
    __table_args__ = (UniqueConstraint("module_id", "user_id"),)

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    assigned_by: Mapped[str] = mapped_column(String(ID_LENGTH))
