"""Reading usage aggregates of one organization, as rows or CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from tutela.gateway.usage.models import DailyUsage
from tutela.storage.tenancy import scoped

COLUMNS = (
    "day",
    "deployment",
    "model",
    "key_id",
    "user_id",
    "requests",
    "filtered_requests",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms_total",
)


def daily(db: Session, *, org_id: str, start: str, end: str) -> list[DailyUsage]:
    """The organization's rows from day `start` to day `end` (YYYY-MM-DD, both included)."""
    stmt = scoped(DailyUsage, org_id).where(DailyUsage.day >= start, DailyUsage.day <= end)
    return list(db.scalars(stmt.order_by(DailyUsage.day, DailyUsage.deployment, DailyUsage.key_id)))


def as_csv(rows: list[DailyUsage]) -> str:
    """The rows as CSV with a header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, column) for column in COLUMNS])
    return out.getvalue()
