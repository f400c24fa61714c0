"""Abuse monitoring records: writing them (sealed under the day key), reading content back, retention and
purge, and the organization's policy with its opt-out ("modified abuse monitoring").

Records live in the organization's region database only; every record carries its resource id and every
query here is scoped by organization (and by resource where a caller names one). Content is sealed under the
organization's data key of the record's UTC day (key store scope `monitoring:<org>:<YYYY-MM-DD>`); the purge
deletes a whole expired day and destroys that day's key, so a backup of the region database taken earlier
holds ciphertext nobody can decrypt any more.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from tutela.core.directory import service as directory
from tutela.core.organizations import service as organizations
from tutela.core.organizations.models import Organization
from tutela.errors import InvalidInput
from tutela.gateway.monitoring import flagging
from tutela.gateway.monitoring.encoding import decode_content, encode_content
from tutela.gateway.monitoring.exceptions import (
    AlreadyDecided,
    ContentUnavailable,
    OptOutPending,
    RecordNotFound,
)
from tutela.gateway.monitoring.models import (
    MAX_RETENTION_DAYS,
    MonitoringPolicy,
    MonitoringRecord,
    OptOutRequest,
)
from tutela.gateway.monitoring.verdicts import summarize
from tutela.gateway.resources.models import AIResource
from tutela.runtime import Region, Runtime
from tutela.storage.crypto.envelope import DataKeyHandle, content_aad, seal, unseal
from tutela.storage.crypto.exceptions import CryptoError
from tutela.storage.crypto.models import DataKey
from tutela.storage.tenancy import get_owned, scoped

log = logging.getLogger("tutela.monitoring")

SCOPE_PREFIX = "monitoring:"


def day_scope(org_id: str, day: str) -> str:
    """The key store scope of one organization's monitoring day."""
    return f"{SCOPE_PREFIX}{org_id}:{day}"


# ------------------------------------------------------------------------------------------ snapshots


@dataclass(frozen=True)
class Snapshot:
    """What the recorder keeps of an exchange until it is written: plain values, no live objects."""

    request_id: str
    org_id: str
    resource_id: str
    key_id: str
    content_logging: bool
    deployment: str
    operation: str
    streamed: bool
    at: datetime
    verdicts: dict[str, Any] = field(default_factory=dict)
    prompt_texts: tuple[str, ...] = ()
    completion_texts: tuple[str, ...] = ()
    prompt_chars: int = 0
    completion_chars: int = 0
    usage: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ policy


def get_policy(db: Session, *, org_id: str) -> MonitoringPolicy:
    """The organization's policy (defaults when it never changed one; not added to the session)."""
    found = db.scalars(scoped(MonitoringPolicy, org_id)).one_or_none()
    return found or MonitoringPolicy(org_id=org_id, retention_days=MAX_RETENTION_DAYS, content_logging=True)


def _policy_row(db: Session, *, org_id: str) -> MonitoringPolicy:
    found = db.scalars(scoped(MonitoringPolicy, org_id)).one_or_none()
    if found is None:
        found = MonitoringPolicy(org_id=org_id, retention_days=MAX_RETENTION_DAYS, content_logging=True)
        db.add(found)
        db.flush()
    return found


def set_retention(
    runtime: Runtime, db: Session, *, org_id: str, actor: str, retention_days: int
) -> MonitoringPolicy:
    """Shorten (or restore up to 30 days) how long monitored records are kept; applies to existing ones."""
    if not 1 <= retention_days <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            f"retention_days must be between 1 and {MAX_RETENTION_DAYS}", param="retention_days"
        )
    policy = _policy_row(db, org_id=org_id)
    previous = policy.retention_days
    policy.retention_days = retention_days
    policy.updated_at = runtime.clock.now()
    organizations.record(
        runtime,
        db,
        org_id=org_id,
        actor=actor,
        action="monitoring.retention_changed",
        details={"from_days": previous, "to_days": retention_days},
    )
    db.flush()
    return policy


# ------------------------------------------------------------------------------------------ writing


class DayKeys:
    """Today's data key per organization, unwrapped once and kept in memory (older days are dropped)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], DataKeyHandle] = {}
        self._lock = threading.Lock()

    def forget(self, org_id: str) -> None:
        """Drop an organization's cached keys (after opt-out or key destruction)."""
        with self._lock:
            for cached in [k for k in self._keys if k[0] == org_id]:
                del self._keys[cached]

    def get(
        self, runtime: Runtime, region: Region, *, org_id: str, day: str, spec: str | None
    ) -> DataKeyHandle:
        """The data key of (organization, day), found in or added to the region's key store."""
        with self._lock:
            cached = self._keys.get((org_id, day))
        if cached is not None:
            return cached
        scope = day_scope(org_id, day)
        customer = runtime.customer_key(spec)
        with region.keys_db.session() as kdb:
            key_id = runtime.keys.find(kdb, org_id=org_id, scope=scope)
            if key_id is not None:
                handle = runtime.keys.get(kdb, key_id, org_id=org_id, customer=customer)
            else:
                handle = runtime.keys.create(
                    kdb, org_id=org_id, scope=scope, customer=customer, customer_ref=spec
                )
        with self._lock:
            for stale in [k for k in self._keys if k[1] != day]:
                del self._keys[stale]
            self._keys[(org_id, day)] = handle
        return handle


def _aad(*, org_id: str, resource_id: str, request_id: str, key_id: str) -> bytes:
    return content_aad(org_id=org_id, owner=f"monitoring:{resource_id}:{request_id}", key_id=key_id)


@dataclass
class WriteResult:
    """What one `write` stored, and the snapshots it could not store (for the recorder to retry)."""

    written: int = 0
    failed: list[Snapshot] = field(default_factory=list)


def write(runtime: Runtime, snapshots: Iterable[Snapshot], *, keys: DayKeys | None = None) -> WriteResult:
    """Store snapshots, one transaction per organization; a failed transaction is redone record by record.

    The policy is read inside the writing transaction, so once an opt-out is approved nothing but metadata
    is written, whatever was queued before. Writing is idempotent (a request id already stored is skipped),
    so when an organization's transaction fails each of its records is written again alone: one record that
    cannot be stored costs only itself, and it comes back in `failed`, never half written.
    """
    keys = keys or DayKeys()
    by_org: dict[str, list[Snapshot]] = {}
    for snapshot in snapshots:
        by_org.setdefault(snapshot.org_id, []).append(snapshot)
    result = WriteResult()
    for org_id, batch in by_org.items():
        try:
            result.written += _write_org(runtime, org_id, batch, keys)
            continue
        except Exception:
            if len(batch) == 1:
                log.exception("monitoring: record %s could not be written", batch[0].request_id)
                result.failed.extend(batch)
                continue
            log.exception("monitoring: %d records of organization %s failed together", len(batch), org_id)
        for snapshot in batch:
            try:
                result.written += _write_org(runtime, org_id, [snapshot], keys)
            except Exception:
                log.exception("monitoring: record %s could not be written", snapshot.request_id)
                result.failed.append(snapshot)
    return result


def _write_org(runtime: Runtime, org_id: str, batch: list[Snapshot], keys: DayKeys) -> int:
    region = runtime.region_of(org_id)
    with region.db.session() as db:
        org = db.get(Organization, org_id)
        if org is None:
            return 0
        policy = get_policy(db, org_id=org_id)
        if not policy.content_logging:
            keys.forget(org_id)
        written = 0
        ids = [snap.request_id for snap in batch]
        seen = set(
            db.scalars(
                select(MonitoringRecord.request_id).where(
                    MonitoringRecord.org_id == org_id, MonitoringRecord.request_id.in_(ids)
                )
            )
        )
        plain: list[dict[str, Any]] = []  # the common case: written in one multi-row INSERT
        for snap in batch:
            if snap.request_id in seen:
                continue  # written before (a retried batch)
            seen.add(snap.request_id)
            summary = summarize(snap.verdicts)
            day = snap.at.date().isoformat()
            values: dict[str, Any] = {
                "org_id": org_id,
                "request_id": snap.request_id,
                "resource_id": snap.resource_id,
                "region": region.name,
                "at": snap.at,
                "day": day,
                "deployment": snap.deployment[:200],
                "operation": snap.operation,
                "key_id": snap.key_id,
                "streamed": snap.streamed,
                "verdicts": snap.verdicts,
                "filtered": summary.filtered,
                "severity": summary.severity,
                "jailbreak": summary.jailbreak,
                "prompt_chars": snap.prompt_chars,
                "completion_chars": snap.completion_chars,
                "usage": dict(snap.usage),
                "content_key_id": None,
                "sealed_content": None,
            }
            if policy.content_logging and snap.content_logging:
                handle = keys.get(runtime, region, org_id=org_id, day=day, spec=org.customer_key_spec)
                body = encode_content(prompt=snap.prompt_texts, completion=snap.completion_texts)
                values["content_key_id"] = handle.id
                values["sealed_content"] = seal(
                    handle.key,
                    body,
                    aad=_aad(
                        org_id=org_id,
                        resource_id=snap.resource_id,
                        request_id=snap.request_id,
                        key_id=handle.id,
                    ),
                )
            if summary.filtered or summary.jailbreak or summary.severity == "high":
                record = MonitoringRecord(**values)
                db.add(record)
                db.flush()  # the rules count recent records, this one included
                flagging.evaluate(runtime, db, record=record)
            else:
                plain.append(values)
            written += 1
        if plain:
            db.execute(insert(MonitoringRecord), plain)
        return written


# ------------------------------------------------------------------------------------------ reading


def list_records(
    db: Session, *, org_id: str, resource_id: str, limit: int = 100, flagged_only: bool = False
) -> list[MonitoringRecord]:
    """Records of one resource, newest first (metadata; callers never get `sealed_content`)."""
    stmt = scoped(MonitoringRecord, org_id).where(MonitoringRecord.resource_id == resource_id)
    if flagged_only:
        stmt = stmt.where(MonitoringRecord.flagged.is_(True))
    return list(db.scalars(stmt.order_by(MonitoringRecord.at.desc()).limit(limit)))


def get_record(db: Session, *, org_id: str, resource_id: str, request_id: str) -> MonitoringRecord:
    """One record by request id, within its organization and resource."""
    found = db.scalars(
        scoped(MonitoringRecord, org_id).where(
            MonitoringRecord.resource_id == resource_id, MonitoringRecord.request_id == request_id
        )
    ).one_or_none()
    if found is None:
        raise RecordNotFound(f"no monitoring record for request {request_id!r}")
    return found


def decrypt(runtime: Runtime, record: MonitoringRecord) -> dict[str, list[str]]:
    """The sealed prompt and completion of a record. Only `review.read_content` may call this."""
    if record.sealed_content is None or record.content_key_id is None:
        raise ContentUnavailable("no content is stored for this request (opted out, or erased)")
    region = runtime.region_of(record.org_id)
    with region.db.session() as db:
        org = db.get(Organization, record.org_id)
        spec = org.customer_key_spec if org is not None else None
    try:
        with region.keys_db.session() as kdb:
            handle = runtime.keys.get(
                kdb, record.content_key_id, org_id=record.org_id, customer=runtime.customer_key(spec)
            )
        body = unseal(
            handle.key,
            record.sealed_content,
            aad=_aad(
                org_id=record.org_id,
                resource_id=record.resource_id,
                request_id=record.request_id,
                key_id=record.content_key_id,
            ),
        )
    except CryptoError as exc:
        raise ContentUnavailable(
            f"the content of this request can no longer be decrypted: {exc.message}"
        ) from exc
    return decode_content(body)


# ------------------------------------------------------------------------------------------ purge


@dataclass
class PurgeResult:
    """What one purge run removed."""

    records: int = 0
    keys: int = 0
    days: int = 0
    organizations: int = 0

    def add(self, other: PurgeResult) -> None:
        """Accumulate another run's counts."""
        self.records += other.records
        self.keys += other.keys
        self.days += other.days
        self.organizations += other.organizations


def cutoff_day(now: datetime, retention_days: int) -> str:
    """The newest expired day: a day D is expired once D + retention days has begun (UTC)."""
    return (now.date() - timedelta(days=retention_days)).isoformat()


def purge(runtime: Runtime, *, now: datetime | None = None, region: str | None = None) -> PurgeResult:
    """Delete every expired record and destroy its day key, in every region (or one).

    Each (organization, day) is one step: delete the day's records (committed), then destroy the day's keys
    (committed). Steps only remove things, so a rerun after a crash finishes the job, two concurrent runs
    just find less to do, and running it again changes nothing.
    """
    now = now or runtime.clock.now()
    total = PurgeResult()
    with runtime.directory.session() as ddb:
        placements = [(p.id, p.region) for p in directory.list_placements(ddb)]
    for name, target in runtime.regions.items():
        if region is not None and name != region:
            continue
        for org_id, org_region in placements:
            if org_region == name:
                total.add(purge_organization(runtime, target, org_id=org_id, now=now))
        # Nothing of a destroyed key (or a deleted record page) may stay behind in SQLite's WAL.
        target.keys_db.checkpoint()
        target.db.checkpoint()
    return total


def purge_organization(runtime: Runtime, region: Region, *, org_id: str, now: datetime) -> PurgeResult:
    """Purge one organization's expired days."""
    with region.db.session() as db:
        if db.get(Organization, org_id) is None:
            return PurgeResult()
        cutoff = cutoff_day(now, get_policy(db, org_id=org_id).retention_days)
        record_days = set(
            db.scalars(
                select(MonitoringRecord.day)
                .where(MonitoringRecord.org_id == org_id, MonitoringRecord.day <= cutoff)
                .distinct()
            )
        )
    prefix = f"{SCOPE_PREFIX}{org_id}:"
    with region.keys_db.session() as kdb:
        scopes = kdb.scalars(
            select(DataKey.scope).where(
                DataKey.org_id == org_id, DataKey.scope.startswith(prefix, autoescape=True)
            )
        )
        key_days = {s[len(prefix) :] for s in scopes if s[len(prefix) :] <= cutoff}
    result = PurgeResult(organizations=0)
    for day in sorted(record_days | key_days):
        with region.db.session() as db:
            deleted = db.execute(
                delete(MonitoringRecord)
                .where(MonitoringRecord.org_id == org_id, MonitoringRecord.day == day)
                .execution_options(synchronize_session=False)
            )
            result.records += int(getattr(deleted, "rowcount", 0) or 0)
        with region.keys_db.session() as kdb:
            result.keys += runtime.keys.destroy_scope(kdb, org_id=org_id, scope_prefix=day_scope(org_id, day))
        result.days += 1
    if result.records or result.keys:
        result.organizations = 1
        with region.db.session() as db:
            organizations.record(
                runtime,
                db,
                org_id=org_id,
                actor="system:monitoring-purge",
                action="monitoring.purged",
                details={"records": result.records, "day_keys_destroyed": result.keys, "through_day": cutoff},
            )
    return result


# ------------------------------------------------------------------------------------------ opt-out


def request_opt_out(runtime: Runtime, db: Session, *, org_id: str, actor: str, reason: str) -> OptOutRequest:
    """An admin asks to stop content logging; an operator decides."""
    if len(reason.strip()) < 10:
        raise InvalidInput("give a reason of at least 10 characters", param="reason")
    if not get_policy(db, org_id=org_id).content_logging:
        raise OptOutPending("content logging is already off for this organization")
    pending = db.scalars(scoped(OptOutRequest, org_id).where(OptOutRequest.status == "pending")).first()
    if pending is not None:
        raise OptOutPending("an opt-out request is already waiting for a decision")
    row = OptOutRequest(
        org_id=org_id,
        reason=reason.strip(),
        requested_by=actor,
        status="pending",
        created_at=runtime.clock.now(),
    )
    db.add(row)
    db.flush()
    organizations.record(
        runtime,
        db,
        org_id=org_id,
        actor=actor,
        action="monitoring.opt_out_requested",
        target=f"opt_out:{row.id}",
        details={"reason": row.reason},
    )
    return row


def list_opt_outs(db: Session, *, org_id: str) -> list[OptOutRequest]:
    """The organization's opt-out requests, newest first."""
    return list(db.scalars(scoped(OptOutRequest, org_id).order_by(OptOutRequest.created_at.desc())))


def decide_opt_out(
    runtime: Runtime, db: Session, *, org_id: str, opt_out_id: str, approve: bool, actor: str, note: str = ""
) -> OptOutRequest:
    """An operator approves or rejects. Approval turns content logging off for good and erases the content
    already stored: records keep their metadata, their sealed content is cleared and every monitoring day
    key of the organization is destroyed."""
    row = get_owned(db, OptOutRequest, opt_out_id, org_id=org_id, what="opt-out request")
    if row.status != "pending":
        raise AlreadyDecided(f"this opt-out request was {row.status} already")
    row.status = "approved" if approve else "rejected"
    row.decided_by = actor
    row.decided_at = runtime.clock.now()
    row.note = note
    if approve:
        policy = _policy_row(db, org_id=org_id)
        policy.content_logging = False
        policy.updated_at = runtime.clock.now()
        db.execute(
            update(AIResource)
            .where(AIResource.org_id == org_id)
            .values(content_logging=False)
            .execution_options(synchronize_session=False)
        )
        db.execute(
            update(MonitoringRecord)
            .where(MonitoringRecord.org_id == org_id)
            .values(sealed_content=None, content_key_id=None)
            .execution_options(synchronize_session=False)
        )
    organizations.record(
        runtime,
        db,
        org_id=org_id,
        actor=actor,
        action="monitoring.opt_out_approved" if approve else "monitoring.opt_out_rejected",
        target=f"opt_out:{row.id}",
        details={"note": note},
    )
    db.flush()
    return row


def destroy_all_day_keys(runtime: Runtime, *, org_id: str) -> int:
    """Crypto-shred every monitoring key of an organization (after an approved opt-out)."""
    region = runtime.region_of(org_id)
    with region.keys_db.session() as kdb:
        count = runtime.keys.destroy_scope(kdb, org_id=org_id, scope_prefix=f"{SCOPE_PREFIX}{org_id}:")
    region.keys_db.checkpoint()
    region.db.checkpoint()
    return count


def today(runtime: Runtime) -> date:
    """The runtime clock's UTC date."""
    return runtime.clock.now().date()
