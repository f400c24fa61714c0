"""The audit log: append-only and hash-chained per organization.

Each entry's hash is an HMAC (keyed from the service key file) over its fields and the previous hash, and the
organization row keeps the head (last seq and hash) in the same transaction. Editing an entry breaks its hash;
deleting one breaks the chain; deleting the newest ones disagrees with the head; and because the hash is
keyed, someone with only database access cannot recompute a consistent forged chain.

One thing a chain inside the database cannot show by itself: deleting the newest entries *and* moving the
head back to the last kept one. Against that, every verification reports the head (`seq:hash`); keep it
anywhere outside Tutela (a ticket, a SIEM) and pass it back as an anchor: the log must still hold that
entry, unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tutela.core.audit.models import AuditEntry
from tutela.core.organizations.models import Organization
from tutela.errors import InvalidInput, NotFound

GENESIS = "0" * 64


def _digest(key: bytes, entry: AuditEntry) -> str:
    body = json.dumps(
        [
            entry.org_id,
            entry.seq,
            entry.at.isoformat(),
            entry.actor,
            entry.action,
            entry.target,
            entry.details,
            entry.prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def record(
    db: Session,
    *,
    key: bytes,
    org_id: str,
    actor: str,
    action: str,
    at: datetime,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; the organization row is locked so concurrent appends serialize."""
    # SQLite ignores FOR UPDATE: two sessions could read the same head and the second append then failed on
    # the unique (org_id, seq). A no-op UPDATE of the row first takes SQLite's write lock (and PostgreSQL's
    # row lock) before the head is read, so the read below always sees the latest committed head.
    db.execute(
        update(Organization)
        .where(Organization.id == org_id)
        .values(audit_head_seq=Organization.audit_head_seq)
        .execution_options(synchronize_session=False)
    )
    org = db.scalars(select(Organization).where(Organization.id == org_id).with_for_update()).one_or_none()
    if org is None:
        raise NotFound(f"organization {org_id!r} not found")
    entry = AuditEntry(
        org_id=org_id,
        seq=org.audit_head_seq + 1,
        at=at,
        actor=actor,
        action=action,
        target=target,
        details=details or {},
        prev_hash=org.audit_head_hash or GENESIS,
        hash="",
    )
    entry.hash = _digest(key, entry)
    db.add(entry)
    org.audit_head_seq, org.audit_head_hash = entry.seq, entry.hash
    db.flush()
    return entry


@dataclass(frozen=True)
class Anchor:
    """A head recorded earlier, outside Tutela: entry `seq` had hash `hash`."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """Read `SEQ:HASH` as `verify` prints it."""
        seq, _, digest = text.strip().partition(":")
        if (
            not seq.isdigit()
            or int(seq) < 1
            or len(digest) != 64
            or not all(c in "0123456789abcdef" for c in digest)
        ):
            raise InvalidInput(
                "an anchor is SEQ:HASH as verify reports it, e.g. 12:3f…(64 hex digits)", param="anchor"
            )
        return cls(int(seq), digest)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class Verification:
    """The result of checking an organization's chain."""

    ok: bool
    entries: int
    problems: list[str]
    head: Anchor


def verify(db: Session, *, key: bytes, org_id: str, anchor: Anchor | None = None) -> Verification:
    """Walk the chain and report every broken link, edited entry, gap, missing head, or lost anchor."""
    org = db.get(Organization, org_id)
    if org is None:
        raise NotFound(f"organization {org_id!r} not found")
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)))
    problems: list[str] = []
    expected_prev, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing")
        if entry.prev_hash != expected_prev:
            problems.append(f"entry {entry.seq} does not link to the entry before it")
        if not hmac.compare_digest(entry.hash, _digest(key, entry)):
            problems.append(f"entry {entry.seq} was altered after it was written")
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    last_seq = entries[-1].seq if entries else 0
    if last_seq != org.audit_head_seq or (entries and entries[-1].hash != org.audit_head_hash):
        problems.append(
            f"the log ends at entry {last_seq} but its head says {org.audit_head_seq}: entries were removed"
        )
    if anchor is not None:
        kept = next((e for e in entries if e.seq == anchor.seq), None)
        if kept is None:
            problems.append(f"entry {anchor.seq} of the recorded head is gone: the log was cut back")
        elif not hmac.compare_digest(kept.hash, anchor.hash):
            problems.append(f"entry {anchor.seq} no longer has the recorded hash: the log was rewritten")
    head = Anchor(org.audit_head_seq, org.audit_head_hash or GENESIS)
    return Verification(ok=not problems, entries=len(entries), problems=problems, head=head)


def list_entries(
    db: Session,
    *,
    org_id: str,
    action_prefix: str | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditEntry]:
    """Newest first, optionally filtered by action prefix."""
    stmt = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if action_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(db.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit)))
