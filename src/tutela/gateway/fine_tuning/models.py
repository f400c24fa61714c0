"""A fine-tuning job of an AI resource, run by the upstream of one of its deployments.

The row keeps what the gateway needs to answer for the job without asking the upstream (the caller's file
ids, the last status seen) and what it must clean up there: `upstream_files` lists the files uploaded
upstream for this job and not yet deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tutela.storage.db import ID_LENGTH, IdMixin, RegionBase, TimestampMixin, UTCDateTime
from tutela.storage.tenancy import TenantMixin


class FineTuningJob(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """One job; `status` in OpenAI's vocabulary (validating_files … cancelled)."""

    __tablename__ = "fine_tuning_jobs"

    resource_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("ai_resources.id", ondelete="CASCADE"), index=True
    )
    # The deployment whose upstream trains (its key opens every later call); gone → the job is frozen.
    deployment_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("deployments.id", ondelete="SET NULL"), nullable=True
    )
    model: Mapped[str] = mapped_column(String(64))  # the deployment name the caller gave
    training_file: Mapped[str] = mapped_column(String(64))
    validation_file: Mapped[str | None] = mapped_column(String(64), nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict
    )  # hyperparameters, suffix, seed, method
    upstream_job_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    upstream_files: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(32))
    upstream_model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    fine_tuned_model: Mapped[str | None] = mapped_column(String(64), nullable=True)  # our deployment
    trained_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), nullable=True)
