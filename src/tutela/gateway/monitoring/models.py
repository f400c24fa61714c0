"""Abuse monitoring tables, all in the organization's region database and all tenant-scoped.

    monitoring_policies          per organization: retention (≤ 30 days) and whether content is logged
    monitoring_opt_outs          "modified abuse monitoring" requests: admin asks, operator decides
    monitoring_records           one per gateway request: metadata, and content sealed under the day key
    monitoring_flags             automated findings: reason and the request ids involved
    monitoring_access_requests   just-in-time grants: one reviewer, one request id, approved by a manager
    monitoring_content_reads     every read of monitored content (who, what, when, under which grant)
    monitoring_notifications     messages to the organization's admins (review outcomes)

Content is only ever in `monitoring_records.sealed_content`: AES-GCM under the organization's data key of the
record's day (key store scope `monitoring:<org>:<YYYY-MM-DD>`), so the purge of a day destroys one key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime
from tutela.storage.tenancy import TenantMixin

MAX_RETENTION_DAYS = 30


class MonitoringPolicy(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """An organization's monitoring settings; no row means the defaults (30 days, content logged)."""

    __tablename__ = "monitoring_policies"
    __table_args__ = (UniqueConstraint("org_id"),)

    retention_days: Mapped[int] = mapped_column(Integer, default=MAX_RETENTION_DAYS)
    content_logging: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OptOutRequest(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """An admin's request to stop content logging, and the operator's decision."""

    __tablename__ = "monitoring_opt_outs"

    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(300))  # audit actor, e.g. user:<id>
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    decided_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class MonitoringRecord(RegionBase, IdMixin, TenantMixin):
    """One gateway request. Metadata in the clear, content (if any) sealed under the day key."""

    __tablename__ = "monitoring_records"
    __table_args__ = (
        UniqueConstraint("org_id", "request_id"),
        Index("ix_monitoring_records_org_day", "org_id", "day"),
        Index("ix_monitoring_records_org_resource_at", "org_id", "resource_id", "at"),
        Index("ix_monitoring_records_org_key_at", "org_id", "key_id", "at"),
    )

    request_id: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    region: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[str] = mapped_column(String(10))  # UTC date of `at`: the retention bucket
    deployment: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    streamed: Mapped[bool] = mapped_column(Boolean, default=False)
    verdicts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    filtered: Mapped[bool] = mapped_column(Boolean, default=False)
    severity: Mapped[str] = mapped_column(String(8), default="safe")  # highest harm severity seen
    jailbreak: Mapped[bool] = mapped_column(Boolean, default=False)
    prompt_chars: Mapped[int] = mapped_column(Integer, default=0)
    completion_chars: Mapped[int] = mapped_column(Integer, default=0)
    usage: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    content_key_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    sealed_content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)


class Flag(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A pattern that suggests misuse, with the request ids that make it up (no content)."""

    __tablename__ = "monitoring_flags"
    __table_args__ = (Index("ix_monitoring_flags_org_key_reason", "org_id", "key_id", "reason"),)

    resource_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    key_id: Mapped[str] = mapped_column(String(ID_LENGTH), default="")
    reason: Mapped[str] = mapped_column(String(32))  # repeated_filtered | high_severity | repeated_jailbreak
    detail: Mapped[str] = mapped_column(String(500), default="")
    request_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | closed
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # benign | abusive
    outcome_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    key_suspended: Mapped[bool] = mapped_column(Boolean, default=False)


class AccessRequest(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A reviewer's request to read one request id's content; a grant once a manager approves it."""

    __tablename__ = "monitoring_access_requests"

    flag_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    request_id: Mapped[str] = mapped_column(String(100))
    reviewer_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    reviewer_email: Mapped[str] = mapped_column(String(254))
    reviewer_location: Mapped[str] = mapped_column(String(32))
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    decided_by: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    decided_by_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ContentRead(RegionBase, IdMixin, TenantMixin):
    """One read of monitored content by a person."""

    __tablename__ = "monitoring_content_reads"

    access_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    request_id: Mapped[str] = mapped_column(String(100))
    staff_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """A message to the organization's admins."""

    __tablename__ = "monitoring_notifications"

    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    flag_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
