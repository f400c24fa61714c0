"""Content filtering configuration: a filter policy per deployment and the organization's blocklists.

Only configuration lives here (thresholds, blocklist terms and patterns); no prompt, completion or verdict
is ever stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class ContentFilter(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """The filter policy of one deployment (a deployment without a row gets the defaults)."""

    __tablename__ = "content_filters"

    deployment_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("deployments.id", ondelete="CASCADE"), unique=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Blocklist(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A named list of exact terms and regular expressions, attached to deployments by name."""

    __tablename__ = "blocklists"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500), default="")


class BlocklistItem(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """One entry of a blocklist: an exact term (matched on words) or a checked regular expression."""

    __tablename__ = "blocklist_items"

    blocklist_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("blocklists.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # "exact" | "regex"
    pattern: Mapped[str] = mapped_column(String(500))
