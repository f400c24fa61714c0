"""Writing, listing and reading notifications. Each is for one person of one organization; nobody else's can
be listed or marked (another person's id gives the same 404 as no id at all)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from tutela.core.notifications.models import Notification
from tutela.errors import NotFound
from tutela.runtime import Runtime
from tutela.storage.db import utcnow
from tutela.storage.tenancy import get_owned, scoped

log = logging.getLogger(__name__)

LIMIT = 50  # the list shows the newest this many


def notify(
    runtime: Runtime, db: Session, *, org_id: str, user_ids: Iterable[str], kind: str, text: str, link: str
) -> list[Notification]:
    """Notify each person once; when an SMTP server is set up, their e-mails go out after this unit of work
    commits (in a background job), so a rolled-back change sends nothing."""
    mail = bool(runtime.settings.mail.smtp_host)
    made = [
        Notification(
            org_id=org_id,
            user_id=user_id,
            kind=kind,
            text=text,
            link=link,
            email="queued" if mail else "none",
        )
        for user_id in dict.fromkeys(user_ids)
    ]
    db.add_all(made)
    db.flush()
    if mail and made:
        _send_after_commit(runtime, db, org_id=org_id)
    return made


def _send_after_commit(runtime: Runtime, db: Session, *, org_id: str) -> None:
    """One delivery run per organization once the unit of work commits, however many notifications it made."""
    waiting: set[str] = db.info.setdefault("notification_emails", set())
    if not waiting:

        def enqueue(session: Session) -> None:
            from tutela.core.notifications.jobs import deliver_emails

            for org in sorted(session.info.pop("notification_emails", set())):
                try:
                    runtime.jobs.enqueue(deliver_emails, org_id=org)
                except Exception:  # the rows stay queued: the next delivery run sends them
                    log.exception("could not queue notification e-mails for organization %s", org)

        event.listen(db, "after_commit", enqueue, once=True)
    waiting.add(org_id)


def list_for(db: Session, *, org_id: str, user_id: str) -> tuple[int, list[Notification]]:
    """The person's unread count and newest notifications."""
    mine = scoped(Notification, org_id).where(Notification.user_id == user_id)
    items = list(db.scalars(mine.order_by(Notification.created_at.desc(), Notification.id).limit(LIMIT)))
    return unread_count(db, org_id=org_id, user_id=user_id), items


def unread_count(db: Session, *, org_id: str, user_id: str) -> int:
    """How many of the person's notifications are unread (the number by "Notifications" in the header)."""
    count = db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.org_id == org_id, Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


def mark_read(db: Session, *, org_id: str, user_id: str, notification_id: str) -> Notification:
    """Mark one of the person's own notifications read."""
    found = get_owned(db, Notification, notification_id, org_id=org_id, what="notification")
    if found.user_id != user_id:  # someone else's: the same answer as none at all
        raise NotFound(f"notification {notification_id!r} not found")
    if found.read_at is None:
        found.read_at = utcnow()
        db.flush()
    return found


def mark_all_read(db: Session, *, org_id: str, user_id: str) -> int:
    """Mark every unread notification of the person read; returns how many."""
    result = db.execute(
        update(Notification)
        .where(Notification.org_id == org_id, Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
