"""Request and response bodies of the monitoring APIs. No schema here has a field for content except
`ContentRead`, returned only by the grant-checked content endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from tutela.core.schemas import Body, Read
from tutela.gateway.monitoring.models import MAX_RETENTION_DAYS


class PolicyRead(Read):
    retention_days: int
    content_logging: bool
    max_retention_days: int = MAX_RETENTION_DAYS


class PolicyUpdate(Body):
    retention_days: int = Field(ge=1, le=MAX_RETENTION_DAYS)


class OptOutCreate(Body):
    reason: str = Field(min_length=10, max_length=2000)


class OptOutRead(Read):
    id: str
    org_id: str
    reason: str
    requested_by: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    note: str
    created_at: datetime


class PlatformOptOutRead(OptOutRead):
    region: str


class DecisionCreate(Body):
    note: str = Field(default="", max_length=2000)


class RecordRead(Read):
    """Metadata of one monitored request: never its content."""

    request_id: str
    resource_id: str
    region: str
    at: datetime
    deployment: str
    operation: str
    key_id: str
    streamed: bool
    verdicts: dict[str, Any]
    filtered: bool
    severity: str
    jailbreak: bool
    prompt_chars: int
    completion_chars: int
    usage: dict[str, int]
    content_stored: bool
    flagged: bool


class FlagRead(Read):
    id: str
    org_id: str
    resource_id: str
    key_id: str
    reason: str
    detail: str
    request_ids: list[str]
    status: str
    outcome: str | None
    outcome_by: str | None
    outcome_at: datetime | None
    outcome_note: str
    key_suspended: bool
    created_at: datetime


class PlatformFlagRead(FlagRead):
    region: str


class AccessCreate(Body):
    request_id: str = Field(min_length=1, max_length=100)
    justification: str = Field(min_length=20, max_length=2000)


class ApproveCreate(Body):
    minutes: int = Field(default=60, ge=1, le=24 * 60)


class AccessRead(Read):
    id: str
    org_id: str
    flag_id: str
    request_id: str
    reviewer_id: str
    reviewer_email: str
    reviewer_location: str
    justification: str
    status: str
    decided_by: str | None
    decided_by_email: str | None
    decided_at: datetime | None
    expires_at: datetime | None
    created_at: datetime


class PlatformAccessRead(AccessRead):
    region: str


class ReadEvent(Read):
    staff_id: str
    at: datetime


class AccessLogRead(AccessRead):
    """Who asked to read what, why, who approved it, and every read."""

    reads: list[ReadEvent]


class ContentRead(Read):
    access_id: str
    request_id: str
    record: RecordRead
    prompt: list[str]
    completion: list[str]
    grant_expires_at: datetime


class OutcomeCreate(Body):
    outcome: Literal["benign", "abusive"]
    suspend_key: bool = False
    note: str = Field(default="", max_length=2000)


class NotificationRead(Read):
    id: str
    kind: str
    message: str
    flag_id: str | None
    key_id: str | None
    created_at: datetime


class PurgeRead(Read):
    records: int
    keys: int
    days: int
    organizations: int


class RecorderRead(Read):
    """One process's monitoring writer since it started; `lost` above 0 means records are missing."""

    written: int
    dropped: int
    retried: int
    lost: int
    queued: int
    retrying: int
