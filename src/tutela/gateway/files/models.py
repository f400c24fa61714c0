"""A file uploaded to an AI resource; its bytes are an encrypted object (`storage/objects.py`).

The row holds only metadata. The bytes are sealed under a data key of their own, wrapped by the service key
and, where the organization configured one, by its customer-managed key; deleting the file destroys that
key, so a copy of the blob in a backup cannot be decrypted any more.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class GatewayFile(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A file of one AI resource."""

    __tablename__ = "gateway_files"

    resource_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("ai_resources.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("stored_objects.id", ondelete="SET NULL"), nullable=True
    )
