"""API shapes of rate limits and budgets."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal["key", "resource", "organization", "user"]
MAX_LIMIT = 2_000_000_000


class LimitValues(BaseModel):
    """The four limits; leave one out (or null) for no limit on it."""

    model_config = ConfigDict(extra="forbid")

    requests_per_minute: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    tokens_per_minute: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    tokens_per_day: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    tokens_per_month: int | None = Field(default=None, ge=0, le=MAX_LIMIT)


class LimitSet(LimitValues):
    """Set the limits of one subject: an API key id, an AI resource id, a user id, or the organization."""

    scope: Scope
    subject_id: str | None = Field(default=None, description="Left out for scope organization.")


class LimitRead(LimitValues):
    """A subject's limits."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    scope: Scope
    subject_id: str
    created_at: datetime
