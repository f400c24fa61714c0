"""Authoring settings: `TUTELA_AUTHORING__MAX_UPLOAD_BYTES` (default 100 MB), read when an upload arrives."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_MB = 1024 * 1024


class AuthoringSettings(BaseSettings):
    """Limits of authoring uploads."""

    model_config = SettingsConfigDict(env_prefix="TUTELA_AUTHORING__", extra="ignore")

    max_upload_bytes: int = Field(default=100 * _MB, ge=1024)


def current() -> AuthoringSettings:
    """The settings as the environment says now."""
    return AuthoringSettings()
