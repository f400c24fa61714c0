"""Reading usage aggregates of one organization, with estimated cost, as rows or CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from tutela.gateway.usage.models import DailyUsage
from tutela.gateway.usage.pricing import CostedUsage, costed
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
COST_COLUMNS = ("estimated_cost", "currency")


def daily(
    db: Session, *, org_id: str, start: str, end: str, deployment: str | None = None
) -> list[CostedUsage]:
    """The organization's rows from day `start` to day `end` (YYYY-MM-DD, both included), of one deployment
    (by name) or all, each with its estimated cost."""
    stmt = scoped(DailyUsage, org_id).where(DailyUsage.day >= start, DailyUsage.day <= end)
    if deployment:
        stmt = stmt.where(DailyUsage.deployment == deployment)
    rows = list(db.scalars(stmt.order_by(DailyUsage.day, DailyUsage.deployment, DailyUsage.key_id)))
    return costed(db, org_id=org_id, rows=rows)


def as_csv(rows: list[CostedUsage]) -> str:
    """The rows as CSV with a header line (an unpriced row's cost and currency are empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + COST_COLUMNS)
    for line in rows:
        cost = "" if line.estimated_cost is None else f"{line.estimated_cost:.6f}"
        writer.writerow([getattr(line.row, column) for column in COLUMNS] + [cost, line.currency or ""])
    return out.getvalue()
