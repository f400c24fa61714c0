"""Deployments: a model name served by an AI resource, mapped to a provider, a model and options."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin


class Deployment(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """What clients call `model`; options hold no secret (an upstream key is sealed separately)."""

    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("resource_id", "name"),)

    resource_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("ai_resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Weighted targets and ordered fallbacks: other deployments of the same resource (routing.py).
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # An admin's price for estimated cost: millionths of `price_currency` per million tokens in and out.
    price_input_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    price_output_micros: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    price_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    # An upstream API key given to Tutela to keep: sealed under its own data key (scope deployment:<id>).
    sealed_api_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    api_key_data_key_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
