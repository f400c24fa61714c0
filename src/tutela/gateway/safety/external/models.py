"""The one table of external safety services: their sealed API keys (settings live in the filter's JSON)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class SafetyServiceKey(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """The API key of one service of one deployment's filter, sealed under its own data key."""

    __tablename__ = "safety_service_keys"
    __table_args__ = (UniqueConstraint("deployment_id", "service"),)

    deployment_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("deployments.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(String(40))
    data_key_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
