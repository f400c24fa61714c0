"""Authoring settings, read when an upload arrives: `TUTELA_AUTHORING__MAX_UPLOAD_BYTES` (default 100 MB) and
the bounds of the parse pool (`PARSE_CONCURRENCY`, `PARSE_QUEUE`, `PARSE_MEMORY_BYTES`), and the longest
recording (`MAX_RECORDING_SECONDS`, default 2 hours)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tutela.authoring.ingest import IngestLimits

_MB = 1024 * 1024


class AuthoringSettings(BaseSettings):
    """Limits of authoring uploads."""

    model_config = SettingsConfigDict(env_prefix="TUTELA_AUTHORING__", extra="ignore")

    max_upload_bytes: int = Field(default=100 * _MB, ge=1024)
    # Documents read at once per process, uploads waiting for a slot, and each reading's memory cap.
    parse_concurrency: int = Field(default=2, ge=1, le=64)
    parse_queue: int = Field(default=8, ge=0, le=1000)
    parse_memory_bytes: int = Field(default=768 * _MB, ge=64 * _MB)
    # The longest recording transcribed, checked from its container before any decoding (default 2 hours).
    max_recording_seconds: float = Field(default=2 * 3600.0, gt=0, le=24 * 3600.0)

    def ingest_limits(self, *, max_bytes: int) -> IngestLimits:
        """The limits of reading one upload of at most `max_bytes`."""
        return IngestLimits(
            max_bytes=max_bytes,
            memory_bytes=self.parse_memory_bytes,
            concurrency=self.parse_concurrency,
            queue=self.parse_queue,
        )


def current() -> AuthoringSettings:
    """The settings as the environment says now."""
    return AuthoringSettings()
