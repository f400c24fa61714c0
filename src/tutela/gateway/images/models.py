"""The images the gateway keeps to answer `response_format: url`, in the organization's region database.

gateway_images   one per generated image served as a link: whose (organization and AI resource), the
                 encrypted object holding the image (storage.objects), and when the link expires
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime
from tutela.storage.tenancy import TenantMixin


class GeneratedImage(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """One image behind a link; the bytes are a sealed `StoredObject`, never in this row."""

    __tablename__ = "gateway_images"
    __table_args__ = (Index("ix_gateway_images_expires_at", "expires_at"),)

    resource_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    object_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    content_type: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
