"""What the library keeps: one row per indexed document and one per AI resource it is shared with.

The chunks and their vectors are one encrypted object per document (`storage/objects.py`): no document text
and no vector sits in these rows, and removing a document from the library destroys its key.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class LibraryDocument(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A document of the organization, cut into chunks and indexed (keyword and MiniLM vectors)."""

    __tablename__ = "library_documents"
    __table_args__ = (UniqueConstraint("org_id", "source_id"),)

    source_id: Mapped[str] = mapped_column(String(ID_LENGTH))  # the uploaded document it indexes
    title: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(255))
    chunk_count: Mapped[int] = mapped_column(Integer)
    index_object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("stored_objects.id", ondelete="SET NULL"), nullable=True
    )


class LibraryShare(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """An AI resource whose API keys may retrieve from the document."""

    __tablename__ = "library_shares"
    __table_args__ = (UniqueConstraint("document_id", "resource_id"),)

    document_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("library_documents.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("ai_resources.id", ondelete="CASCADE"), index=True
    )
