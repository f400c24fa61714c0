"""AI resources of an organization and their API keys (deployments arrive with the gateway)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime
from tutela.storage.tenancy import TenantMixin


class AIResource(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A gateway endpoint of one organization, in its region; keys and deployments hang off it."""

    __tablename__ = "ai_resources"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    content_logging: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiKey(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A key for the gateway; the secret is shown once and only its hash is kept."""

    __tablename__ = "api_keys"

    resource_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("ai_resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
