"""Automated flagging: patterns in the metadata of recent records that suggest misuse.

Rules, evaluated when each record is written (in the same transaction, off the request path):

    high_severity        a request whose verdicts carry a `high` harm severity
    repeated_filtered    FILTERED_THRESHOLD filtered requests from one key within WINDOW
    repeated_jailbreak   JAILBREAK_THRESHOLD jailbreak attempts from one key within WINDOW

A flag names its reason and the request ids involved; further hits of the same key and reason within the
window join the open flag instead of making new ones. Records named by a flag are marked `flagged`: only they
can ever be shown to a person (see review.py). In-process product calls have no key (key id ""), so they
are grouped together.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from tutela.gateway.monitoring.models import Flag, MonitoringRecord
from tutela.runtime import Runtime
from tutela.storage.tenancy import scoped

WINDOW = timedelta(minutes=10)
FILTERED_THRESHOLD = 5
JAILBREAK_THRESHOLD = 3
MAX_REQUESTS_PER_FLAG = 500


def evaluate(runtime: Runtime, db: Session, *, record: MonitoringRecord) -> list[Flag]:
    """Apply every rule to a just-written record; returns the flags created or extended."""
    touched: list[Flag] = []
    if record.severity == "high":
        touched.append(
            _raise(db, record, "high_severity", [record.request_id], "a high-severity harm verdict")
        )
    if record.filtered:
        ids = _recent(db, record, MonitoringRecord.filtered.is_(True))
        if len(ids) >= FILTERED_THRESHOLD:
            touched.append(
                _raise(db, record, "repeated_filtered", ids, f"{len(ids)} filtered requests within {WINDOW}")
            )
    if record.jailbreak:
        ids = _recent(db, record, MonitoringRecord.jailbreak.is_(True))
        if len(ids) >= JAILBREAK_THRESHOLD:
            touched.append(
                _raise(
                    db, record, "repeated_jailbreak", ids, f"{len(ids)} jailbreak attempts within {WINDOW}"
                )
            )
    return touched


def _recent(db: Session, record: MonitoringRecord, condition: object) -> list[str]:
    stmt = (
        scoped(MonitoringRecord, record.org_id)
        .where(
            MonitoringRecord.key_id == record.key_id,
            MonitoringRecord.at > record.at - WINDOW,
            MonitoringRecord.at <= record.at,
            condition,  # type: ignore[arg-type]
        )
        .order_by(MonitoringRecord.at)
        .limit(MAX_REQUESTS_PER_FLAG)
    )
    return [r.request_id for r in db.scalars(stmt)]


def _raise(db: Session, record: MonitoringRecord, reason: str, request_ids: list[str], detail: str) -> Flag:
    open_flag = db.scalars(
        scoped(Flag, record.org_id)
        .where(
            Flag.key_id == record.key_id,
            Flag.reason == reason,
            Flag.status == "open",
            Flag.created_at > record.at - WINDOW,
        )
        .order_by(Flag.created_at.desc())
    ).first()
    if open_flag is None:
        open_flag = Flag(
            org_id=record.org_id,
            resource_id=record.resource_id,
            key_id=record.key_id,
            reason=reason,
            detail=detail,
            request_ids=list(request_ids),
            created_at=record.at,
        )
        db.add(open_flag)
    else:
        merged = list(dict.fromkeys([*open_flag.request_ids, *request_ids]))[:MAX_REQUESTS_PER_FLAG]
        open_flag.request_ids = merged
        open_flag.detail = detail
    for row in db.scalars(
        scoped(MonitoringRecord, record.org_id).where(MonitoringRecord.request_id.in_(request_ids))
    ):
        row.flagged = True
    db.flush()
    return open_flag
