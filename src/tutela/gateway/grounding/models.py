"""A customer database an AI resource may retrieve from (`data_sources` type `postgresql`).

The connection string is a secret: sealed under a data key of its own (scope `data-source:<id>`), opened in
memory only for the query. The query is the customer's own, run read-only with a statement timeout.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class DatabaseSource(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A registered PostgreSQL source of one AI resource, named in requests by `name`."""

    __tablename__ = "database_sources"
    __table_args__ = (UniqueConstraint("resource_id", "name"),)

    resource_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("ai_resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(Text)
    statement_timeout_ms: Mapped[int] = mapped_column(Integer)
    sealed_dsn: Mapped[bytes] = mapped_column(LargeBinary)
    dsn_data_key_id: Mapped[str] = mapped_column(String(ID_LENGTH))
