"""Notifications over the API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationRead(BaseModel):
    """One notification, as its addressee sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None
    email: str


class NotificationList(BaseModel):
    """The caller's notifications, newest first, and how many are unread."""

    unread: int
    items: list[NotificationRead]
