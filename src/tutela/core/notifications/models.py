"""What a notification keeps: for whom, one sentence, a link in the app, read or not, the e-mail's fate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime
from tutela.storage.tenancy import TenantMixin


class Notification(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """One message to one person. `email` is "none" (no SMTP server set up), "queued", "sent" or "failed"
    (with the server's answer in `email_error`; a failed e-mail is tried again on the next delivery run)."""

    __tablename__ = "notifications"

    user_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str] = mapped_column(String(300), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    email: Mapped[str] = mapped_column(String(10), default="none")
    email_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    email_tries: Mapped[int] = mapped_column(Integer, default=0)
