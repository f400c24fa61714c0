"""The cover images of a module and of its lessons, and the proposals waiting for their author's review.

authoring_module_covers   one per module (lesson 0) or lesson (1, 2, … numbered across chapters) with a
                          cover or a proposal: the accepted cover and the proposed one, each an encrypted
                          object (storage.objects), never bytes here
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime, utcnow
from tutela.storage.tenancy import TenantMixin

_OBJECT_FK = "stored_objects.id"


class ModuleCover(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """The cover a module or one of its lessons shows (once accepted) and the one proposed to its author."""

    __tablename__ = "authoring_module_covers"
    __table_args__ = (UniqueConstraint("module_id", "lesson", name="uq_authoring_module_covers_lesson"),)

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE")
    )
    lesson: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 0: the module's own
    cover_object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey(_OBJECT_FK, ondelete="SET NULL"), nullable=True
    )
    cover_type: Mapped[str] = mapped_column(String(40), default="")
    proposal_object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey(_OBJECT_FK, ondelete="SET NULL"), nullable=True
    )
    proposal_type: Mapped[str] = mapped_column(String(40), default="")
    proposal_deployment: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
