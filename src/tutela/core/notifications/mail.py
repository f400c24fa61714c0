"""Notification e-mails over SMTP (the standard library's smtplib): the organization's queued and failed
ones, each marked sent or failed with the server's answer, and every failure logged."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import select

from tutela.config import MailSettings
from tutela.core.notifications.models import Notification
from tutela.core.users.models import User
from tutela.runtime import Runtime

log = logging.getLogger(__name__)

MAX_TRIES = 5  # after this many failures an e-mail stays failed (the notification is still in the app)


def message(settings: MailSettings, *, to: str, text: str, link: str) -> EmailMessage:
    """The e-mail for one notification: its sentence as subject and body, and the link to open."""
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Subject"] = text if len(text) <= 120 else text[:117] + "..."
    body = text
    if link and settings.base_url:
        body += f"\n\nOpen it: {settings.base_url.rstrip('/')}{link}"
    mail.set_content(body + "\n")
    return mail


def send(settings: MailSettings, mail: EmailMessage) -> None:
    """Hand one e-mail to the SMTP server (raises on any refusal or network error)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else ""
            smtp.login(settings.username, password)
        smtp.send_message(mail)


def deliver(runtime: Runtime, *, org_id: str) -> dict[str, int]:
    """Send the organization's queued (and earlier failed) notification e-mails; returns the counts."""
    settings = runtime.settings.mail
    counts = {"sent": 0, "failed": 0}
    if not settings.smtp_host:
        return counts
    with runtime.region_session(org_id) as db:
        stmt = (
            select(Notification, User.email)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.org_id == org_id,
                Notification.email.in_(["queued", "failed"]),
                Notification.email_tries < MAX_TRIES,
            )
            .order_by(Notification.created_at)
            .with_for_update(of=Notification, skip_locked=True)
        )
        for note, address in db.execute(stmt).all():
            note.email_tries += 1
            try:
                send(settings, message(settings, to=address, text=note.text, link=note.link))
            except (OSError, smtplib.SMTPException) as exc:
                note.email, note.email_error = "failed", str(exc)[:500] or type(exc).__name__
                counts["failed"] += 1
                log.error(
                    "notification e-mail %s to user %s failed (try %d of %d): %s",
                    note.id,
                    note.user_id,
                    note.email_tries,
                    MAX_TRIES,
                    note.email_error,
                )
            else:
                note.email, note.email_error = "sent", None
                counts["sent"] += 1
    return counts
