"""What authoring keeps: source PDFs and extractions (encrypted objects), modules, checks, attempts, jobs.

Content never sits in these rows: the PDF, its extraction, a module's content (chapters, lessons, questions)
and its check findings are encrypted objects (`storage/objects.py`), so deleting one destroys its key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime, utcnow
from tutela.storage.tenancy import TenantMixin

_OBJECT_FK = "stored_objects.id"


class SourceDocument(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """An uploaded PDF or recording: the file and its extraction, each an encrypted object.

    A recording (`kind` "recording") keeps its file in `pdf_object_id` too, so it obeys every rule of the
    PDF (who may see it, attaching it, deleting it); its extraction is its transcript, one page per segment
    with the segment's time span, and exists once transcription has finished.
    """

    __tablename__ = "authoring_documents"

    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    page_count: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(8))
    headings_source: Mapped[str] = mapped_column(String(16))
    pdf_object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey(_OBJECT_FK, ondelete="SET NULL"), nullable=True
    )
    extraction_object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey(_OBJECT_FK, ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="pdf", server_default="pdf")  # pdf|recording
    media_type: Mapped[str] = mapped_column(
        String(64), default="application/pdf", server_default="application/pdf"
    )
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)


class Module(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A training module: draft → in_review → published → archived."""

    __tablename__ = "authoring_modules"
    __table_args__ = (Index("ix_authoring_modules_job_id", "job_id", unique=True),)

    title: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    content_object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey(_OBJECT_FK, ondelete="SET NULL"), nullable=True
    )
    document_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH),
        ForeignKey("authoring_documents.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    )
    template_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_prompt_templates.id", ondelete="SET NULL"), nullable=True
    )
    template_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deployment: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    attach_source: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    overridden_by: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    # The generation job that made it: unique, so a job can never make two modules, even if two workers race.
    job_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    # The author's quiz settings: the score (percent) that passes, and "all" questions on one page or "one"
    # question at a time.
    pass_mark: Mapped[int] = mapped_column(Integer, default=80, server_default="80")
    quiz_mode: Mapped[str] = mapped_column(String(8), default="all", server_default="all")


class ModuleSource(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A document a module was written from, when it was written from several (in the author's order)."""

    __tablename__ = "authoring_module_sources"
    __table_args__ = (UniqueConstraint("module_id", "document_id"),)

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class ModuleGroup(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A group a published module is visible to."""

    __tablename__ = "authoring_module_groups"
    __table_args__ = (UniqueConstraint("module_id", "group_id"),)

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )


class CheckReport(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """The latest checks of a module's content; the findings (which quote text) are an encrypted object."""

    __tablename__ = "authoring_check_reports"

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), unique=True
    )
    passed: Mapped[bool] = mapped_column(Boolean)
    errors: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[int] = mapped_column(Integer)
    findings_object_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey(_OBJECT_FK, ondelete="SET NULL"), nullable=True
    )


class Attempt(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A learner's answers to a module's quiz and the score they got."""

    __tablename__ = "authoring_attempts"

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[list[Any]] = mapped_column(JSON)
    correct: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    # Whether the score reached the module's pass mark as it was when the attempt was made.
    passed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AuthoringJob(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A generation running as a background job: its stage and percentage, then its module or its error.

    A running job holds a lease (owner, expiry) that its worker renews; an expired lease means the worker
    died, and the job is retried or failed (see leases.py).
    """

    __tablename__ = "authoring_jobs"
    __table_args__ = (Index("ix_authoring_jobs_status_lease", "status", "lease_expires_at"),)

    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|succeeded|failed
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    document_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_documents.id", ondelete="CASCADE"), nullable=True
    )
    module_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), nullable=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # What a succeeded job left out and why, for the author (page numbers only, never document text).
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ItemDecision(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A reviewer's decision on one lesson or question of a module: accepted or rejected (no row: undecided).

    `item` names the place, not the text ("lesson:0:1", "question:3"), so no content sits in the row; a
    decision is forgotten when that item's content changes (see items.py)."""

    __tablename__ = "authoring_item_decisions"
    __table_args__ = (UniqueConstraint("module_id", "item", name="uq_authoring_item_decisions_item"),)

    module_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("authoring_modules.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))  # accepted | rejected
    decided_by: Mapped[str] = mapped_column(String(ID_LENGTH))
