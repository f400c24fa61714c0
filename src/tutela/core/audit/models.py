"""The append-only, hash-chained audit log of an organization."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import IdMixin, RegionBase, UTCDateTime
from tutela.storage.tenancy import TenantMixin


class AuditEntry(RegionBase, IdMixin, TenantMixin):
    """One security-relevant action. `hash` covers every field and the previous entry's hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("org_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
