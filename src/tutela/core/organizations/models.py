"""Organizations as their region's database knows them."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import IdMixin, RegionBase, TimestampMixin


class Organization(RegionBase, IdMixin, TimestampMixin):
    """A customer. Its id is the same in the directory and in its region."""

    __tablename__ = "organizations"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(32))
    ai_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The severity from which authoring's requests refuse the organization's own documents (the harm
    # categories of the content filter): "high" only by default, as too many false positives come lower.
    authoring_document_filter: Mapped[str] = mapped_column(String(8), default="high")
    # Days the gateway's usage aggregates are kept (null: the platform's `gateway.usage_retention_days`).
    usage_retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A customer-managed key wrapping every data key as a second layer, e.g. "aws-kms:arn:...?region=...".
    customer_key_spec: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Head of the hash-chained audit log, updated in the same transaction as each entry.
    audit_head_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head_hash: Mapped[str] = mapped_column(String(64), default="")
