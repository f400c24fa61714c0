"""Content policy rules of an organization (configuration only; no evaluated text is stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import IdMixin, RegionBase, TimestampMixin, UTCDateTime, utcnow
from tutela.storage.tenancy import TenantMixin


class PolicyRule(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """One rule; `version` grows with every change, and every change is in the audit log."""

    __tablename__ = "content_policy_rules"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
