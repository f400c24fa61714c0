"""People of an organization and their tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime
from tutela.storage.tenancy import TenantMixin


class User(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A person who signs in to one organization."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class UserToken(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A browser session or a named API token for scripts; only a hash of the secret is kept."""

    __tablename__ = "user_tokens"

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "session" | "api"
    name: Mapped[str] = mapped_column(String(100), default="")
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
