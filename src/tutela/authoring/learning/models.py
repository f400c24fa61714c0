"""What learning keeps: one row per learner and module (lesson numbers and dates only, never content)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime, utcnow
from tutela.storage.tenancy import TenantMixin


class Progress(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A learner's progress through one module: the lessons opened (flat numbers across chapters, from 0),
    the lesson to resume at, and when the quiz was passed and the module completed."""

    __tablename__ = "learning_progress"
    __table_args__ = (UniqueConstraint("module_id", "user_id"),)

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    seen: Mapped[list[Any]] = mapped_column(JSON, default=list)
    current: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    quiz_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
