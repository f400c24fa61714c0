"""Rate limits and token budgets, one row per subject (a key, an AI resource, the organization, a user)."""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class RateLimit(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """Limits of one subject of an organization; a null limit is no limit."""

    __tablename__ = "gateway_rate_limits"
    __table_args__ = (UniqueConstraint("org_id", "scope", "subject_id"),)

    scope: Mapped[str] = mapped_column(String(16))  # "key" | "resource" | "organization" | "user"
    subject_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    requests_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_per_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
