"""Daily usage aggregates: numbers and ids only; there is no column a prompt or an answer could go in."""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase
from tutela.storage.tenancy import TenantMixin


class DailyUsage(RegionBase, IdMixin, TenantMixin):
    """One day's use of one deployment's model by one key (or the product for one user)."""

    __tablename__ = "gateway_daily_usage"
    __table_args__ = (UniqueConstraint("org_id", "day", "deployment", "model", "key_id", "user_id"),)

    day: Mapped[str] = mapped_column(String(10), index=True)  # YYYY-MM-DD, UTC
    deployment: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(ID_LENGTH))  # empty for the product's own calls
    user_id: Mapped[str] = mapped_column(String(ID_LENGTH))  # empty for API keys
    requests: Mapped[int] = mapped_column(Integer, default=0)
    filtered_requests: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms_total: Mapped[int] = mapped_column(Integer, default=0)
