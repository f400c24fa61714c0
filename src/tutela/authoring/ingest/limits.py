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
    # An address-space cap: a 117-page scanned-and-texted lecture script reads in under 512 MB.
    memory_bytes: int = Field(default=768 * _MB, ge=16 * _MB)
    # The child's JSON answer is read into the caller's memory, so it is bounded too.
    max_result_bytes: int = Field(default=256 * _MB, ge=1024)
    # The process-wide parse pool: this many children at once (so at most concurrency × memory_bytes), this
    # many more uploads waiting in line, each for at most queue_wait_seconds; past that, ParserBusy.
    concurrency: int = Field(default=2, ge=1, le=64)
    queue: int = Field(default=8, ge=0, le=1000)
    queue_wait_seconds: float = Field(default=120.0, gt=0)
