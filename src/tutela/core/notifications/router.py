"""The caller's own notifications under `/api/notifications`."""

from __future__ import annotations

from fastapi import APIRouter

from tutela.core.auth.dependencies import CurrentUser, RegionDB
from tutela.core.notifications import service as notifications
from tutela.core.notifications.schemas import NotificationList, NotificationRead

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("", response_model=NotificationList)
def list_notifications(principal: CurrentUser, db: RegionDB) -> NotificationList:
    """The caller's newest notifications and how many are unread."""
    unread, items = notifications.list_for(db, org_id=principal.org_id, user_id=principal.user_id)
    return NotificationList(unread=unread, items=[NotificationRead.model_validate(n) for n in items])


@router.post("/{notification_id}/read", response_model=NotificationRead)
def mark_read(notification_id: str, principal: CurrentUser, db: RegionDB) -> NotificationRead:
    """Mark one of the caller's notifications read."""
    found = notifications.mark_read(
        db, org_id=principal.org_id, user_id=principal.user_id, notification_id=notification_id
    )
    return NotificationRead.model_validate(found)


@router.post("/read", response_model=NotificationList)
def mark_all_read(principal: CurrentUser, db: RegionDB) -> NotificationList:
    """Mark every notification of the caller read."""
    notifications.mark_all_read(db, org_id=principal.org_id, user_id=principal.user_id)
    return list_notifications(principal, db)
