"""Deployment options shared by providers that call an HTTP upstream."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from tutela.gateway.providers.base import ProviderOptions
from tutela.gateway.providers.retry import RetryPolicy
from tutela.gateway.providers.upstream import UpstreamTimeout
from tutela.gateway.wire.exceptions import ProviderConfigurationError

Seconds = Annotated[float, Field(gt=0, le=3600)]


class HTTPOptions(ProviderOptions):
    """Credentials, timeouts and retry settings for one upstream deployment.

    The API key comes from at most one of ``api_key`` (inline, discouraged),
    ``api_key_env`` (an environment variable name) or ``api_key_file`` (a path,
    e.g. a mounted secret). It is read per request so rotations need no restart.
    """

    api_key: SecretStr | None = None
    api_key_env: str | None = None
    api_key_file: Path | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    connect_timeout: Seconds = 5.0
    # Between bytes: the longest silence tolerated, before the first token or mid-stream.
    read_timeout: Seconds = 120.0
    pool_timeout: Seconds = 10.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 2
    backoff_base: Annotated[float, Field(ge=0, le=60)] = 0.5
    backoff_max: Annotated[float, Field(ge=0, le=600)] = 8.0
    max_retry_after: Annotated[float, Field(ge=0, le=600)] = 20.0
    # Personal data swapped for placeholders before the request leaves (tutela.gateway.pii).
    pii: Literal["off", "pseudonymise"] = "off"

    @model_validator(mode="after")
    def _one_key_source(self) -> HTTPOptions:
        sources = [s for s in (self.api_key, self.api_key_env, self.api_key_file) if s is not None]
        if len(sources) > 1:
            raise ValueError("set at most one of api_key, api_key_env, api_key_file")
        return self

    @property
    def has_api_key_source(self) -> bool:
        """Whether any key source is configured."""
        return any(s is not None for s in (self.api_key, self.api_key_env, self.api_key_file))

    def resolve_api_key(self) -> str | None:
        """Return the key, or ``None`` if none is configured (e.g. a local Ollama)."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if self.api_key_env is not None:
            value = os.environ.get(self.api_key_env, "").strip()
            if not value:
                raise ProviderConfigurationError(f"API key variable {self.api_key_env} is unset or empty")
            return value
        if self.api_key_file is not None:
            try:
                value = self.api_key_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ProviderConfigurationError(f"API key file {self.api_key_file} is unreadable") from exc
            if not value:
                raise ProviderConfigurationError(f"API key file {self.api_key_file} is empty")
            return value
        return None

    def timeout(self) -> UpstreamTimeout:
        """The timeouts of one upstream call."""
        return UpstreamTimeout(connect=self.connect_timeout, read=self.read_timeout, pool=self.pool_timeout)

    def retry_policy(self) -> RetryPolicy:
        """The retry policy for one upstream call."""
        return RetryPolicy(
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            max_retry_after=self.max_retry_after,
        )
