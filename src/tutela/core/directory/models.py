"""The directory: which region each organization lives in, and the platform's own staff.

It holds no customer content — no names, no users, no documents — only ids, slugs and regions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, DirectoryBase, IdMixin, TimestampMixin, UTCDateTime


class OrganizationPlacement(DirectoryBase, IdMixin, TimestampMixin):
    """Organization id → region. The slug lets people sign in by organization name."""

    __tablename__ = "organization_placements"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    region: Mapped[str] = mapped_column(String(32))


class StaffMember(DirectoryBase, IdMixin, TimestampMixin):
    """A person who runs the platform: operator, safety reviewer or safety manager."""

    __tablename__ = "staff_members"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(255))  # comma-separated StaffRole values
    location: Mapped[str] = mapped_column(String(32))  # jurisdiction they work in, e.g. EEA
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class StaffToken(DirectoryBase, IdMixin, TimestampMixin):
    """A session or API token of a staff member; only a hash of the secret is kept."""

    __tablename__ = "staff_tokens"

    staff_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("staff_members.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
