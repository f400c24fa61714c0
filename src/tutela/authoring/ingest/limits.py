"""Resource limits for reading one uploaded document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_MB = 1024 * 1024


class IngestLimits(BaseModel):
    """How much of the machine one upload may use; every bound is enforced outside the parser."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_bytes: int = Field(default=100 * _MB, ge=1)
    max_pages: int = Field(default=2000, ge=1)
    timeout_seconds: float = Field(default=60.0, gt=0)
    memory_bytes: int = Field(default=1536 * _MB, ge=16 * _MB)
    # The child's JSON answer is read into the caller's memory, so it is bounded too.
    max_result_bytes: int = Field(default=256 * _MB, ge=1024)
