"""Groups and the roles people hold in them, as in mainstream learning platforms."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class Group(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A set of people; content is published to groups."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")


class Membership(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A user's role in one group."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    group_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
