"""The key store of a region: wrapped data keys, nothing else."""

from __future__ import annotations

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, KeysBase, TimestampMixin


class DataKey(KeysBase, IdMixin, TimestampMixin):
    """A data key wrapped by the service key (and, when the organization has one, by its own key first).

    `scope` names what the key protects ("object:<id>", "monitoring:2026-11-21"); it is bound into the
    wrapping as associated data, so a wrapped key moved to another row or organization does not unwrap.
    Deleting the row is crypto-shredding: the data it protected can no longer be read anywhere.
    """

    __tablename__ = "data_keys"

    org_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    scope: Mapped[str] = mapped_column(String(200), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    service_kid: Mapped[str] = mapped_column(String(64))
    customer_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
