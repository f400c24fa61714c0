"""Notification e-mails as a job (run by the in-process consumer or `tutela worker` processes)."""

from __future__ import annotations

from typing import Any

from tutela.core.notifications import mail
from tutela.runtime import Runtime
from tutela.storage.jobs import job


@job
def deliver_emails(runtime: Runtime, org_id: str) -> dict[str, Any]:
    """Send the organization's queued notification e-mails."""
    return mail.deliver(runtime, org_id=org_id)
