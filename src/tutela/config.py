"""Configuration: one pydantic-settings root composed of per-domain settings.

Everything comes from `TUTELA_*` environment variables (nested with `__`) or from a TOML file named by
`TUTELA_CONFIG`; nothing is read at import time. URLs may contain `{data_dir}`, replaced by the data
directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REGION_NAME_PATTERN = r"^[a-z][a-z0-9-]{1,30}$"


class RegionSettings(BaseModel):
    """One region: its own database, key store and blob store. Customer data of an org never leaves it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=REGION_NAME_PATTERN)
    jurisdiction: str = Field(
        default="local", description="where the region's data and reviewers are, e.g. EEA"
    )
    screening_jurisdictions: list[str] = Field(
        default_factory=list,
        description="jurisdictions besides its own where external safety services may be sent its text",
    )
    database_url: str = "sqlite:///{data_dir}/regions/{region}/tutela.db"
    keys_url: str = "sqlite:///{data_dir}/regions/{region}/keys.db"
    blobs_url: str = "{data_dir}/regions/{region}/blobs"
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="where this region's Tutela is reached (image links); default: the request's own URL",
    )

    def resolved(self, data_dir: Path) -> RegionSettings:
        """Return a copy with `{data_dir}` and `{region}` placeholders filled in."""
        fill = {"data_dir": str(data_dir.resolve()), "region": self.name}
        return self.model_copy(
            update={
                "database_url": self.database_url.format(**fill),
                "keys_url": self.keys_url.format(**fill),
                "blobs_url": self.blobs_url.format(**fill),
            }
        )


class JobSettings(BaseModel):
    """The job queue: huey on SQLite in process by default, Redis or PostgreSQL when scaled out."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["sqlite", "redis", "postgres", "immediate"] = "sqlite"
    url: str = "{data_dir}/jobs.db"
    queue_name: str = Field(default="tutela", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    workers: int = Field(default=2, ge=1, le=64)
    run_in_process: bool = True
    # A running job's worker renews its lease every heartbeat; a lease not renewed for lease_seconds means
    # the worker died, and within reap_seconds more the job is retried (up to max_attempts) or failed.
    lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    heartbeat_seconds: float = Field(default=10.0, gt=0, le=600)
    reap_seconds: float = Field(default=15.0, gt=0, le=600)
    max_attempts: int = Field(default=3, ge=1, le=20)
    # A queued job no worker claimed for this long is put on the queue again (its message may have been lost).
    requeue_seconds: float = Field(default=600.0, gt=0, le=24 * 3600)

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> JobSettings:
        if self.heartbeat_seconds * 2 > self.lease_seconds:
            raise ValueError("jobs.heartbeat_seconds must be at most half of jobs.lease_seconds")
        return self


class ThrottleSettings(BaseModel):
    """Failed authentications: how many are free, then how long each further one waits (doubling)."""

    model_config = ConfigDict(extra="forbid")

    # Sign-in: per account (organization + email, or staff email) and per client address.
    account_free_failures: int = Field(default=5, ge=1, le=1000)
    address_free_failures: int = Field(default=30, ge=1, le=100_000)
    # Wrong or malformed API keys, API tokens and session tokens, per client address.
    credential_free_failures: int = Field(default=20, ge=1, le=100_000)
    first_delay_seconds: float = Field(default=1.0, gt=0, le=3600)
    max_delay_seconds: float = Field(default=900.0, gt=0, le=24 * 3600)
    # A counter with no failure for this long starts again from zero.
    forget_after_seconds: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)


class AuthSettings(BaseModel):
    """Sign-in, token lifetimes and the throttling of failed authentications."""

    model_config = ConfigDict(extra="forbid")

    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    min_password_length: int = Field(default=10, ge=8)
    # Argon2id cost; the defaults are the library's (RFC 9106 low-memory profile). Hashes record their own
    # parameters, so changing these affects new passwords only.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=1024, le=4 * 1024 * 1024)
    secure_cookies: bool = False
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)


class ServerSettings(BaseModel):
    """HTTP server defaults for `tutela serve`."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Upload routes only (the largest upload plus multipart framing); the gateway has its own limit.
    max_body_bytes: int = Field(default=110 * 1024 * 1024, ge=1024)
    # Every other route: JSON and form bodies (a whole module.json fits many times over).
    max_json_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # GET /metrics answers only `Authorization: Bearer <this>`; unset, /metrics is not served (404).
    metrics_token: SecretStr | None = None
    # OpenTelemetry traces (ids and timings, never content) to this OTLP/HTTP collector URL, e.g.
    # "http://127.0.0.1:4318/v1/traces"; unset, tracing is off and costs nothing.
    otlp_traces_endpoint: str | None = None

    @field_validator("otlp_traces_endpoint")
    @classmethod
    def _collector_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(
                "otlp_traces_endpoint must be the collector's http:// or https:// URL "
                "(OTLP over HTTP, e.g. http://127.0.0.1:4318/v1/traces)"
            )
        return value or None


class GatewaySettings(BaseModel):
    """The AI gateway's limits and caches."""

    model_config = ConfigDict(extra="forbid")

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_n: int = Field(default=10, ge=1, le=128)
    max_images: int = Field(default=10, ge=1, le=10)  # images per generation request (OpenAI's maximum)
    # Generated images answered as links are kept, sealed in the organization's region, this long (Azure
    # OpenAI's links expire after 24 hours).
    image_link_seconds: int = Field(default=24 * 3600, ge=60, le=7 * 24 * 3600)
    # What abuse monitoring seals of each generated image: its SHA-256 digest, or a copy of the image.
    monitored_images: Literal["digest", "copy"] = "digest"
    max_file_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)  # /v1/files uploads, as OpenAI's
    # Where `azure_search` data sources may point (fnmatch on "scheme://host:port"): the gateway never
    # calls an address a request names unless the operator allowed it.
    search_endpoints: list[str] = Field(default_factory=lambda: ["https://*.search.windows.net:443"])
    # Which databases `postgresql` data sources may connect to (fnmatch on "host:port", or the socket
    # directory for a Unix socket). None by default: Tutela's own databases are on this network, so the
    # operator names the customers' database hosts before an admin can register one.
    database_hosts: list[str] = Field(default_factory=list)
    # Keys, organization switches and deployments are cached this long per process: a revoked key or a
    # switched-off organization is refused everywhere within this many seconds.
    access_cache_seconds: float = Field(default=2.0, ge=0, le=300)
    # Usage aggregates (counts, never content) are kept this many days unless an organization sets its own.
    usage_retention_days: int = Field(default=400, ge=1, le=3650)


class MailSettings(BaseModel):
    """Notification e-mails: sent through this SMTP server when `smtp_host` is set, none otherwise."""

    model_config = ConfigDict(extra="forbid")

    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    username: str = ""
    password: SecretStr | None = None
    sender: str = "Tutela <tutela@localhost>"
    # Where people open Tutela, for the link in each e-mail (no link when unset).
    base_url: str = ""
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class Settings(BaseSettings):
    """The root of Tutela's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="TUTELA_", env_nested_delimiter="__", extra="forbid", toml_file=None
    )

    data_dir: Path = Path("./tutela-data")
    directory_url: str = "sqlite:///{data_dir}/directory.db"
    key_file: Path | None = None
    default_region: str | None = None
    regions: list[RegionSettings] = Field(default_factory=lambda: [RegionSettings(name="local")])
    jobs: JobSettings = Field(default_factory=JobSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    demo_password: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init arguments win, then environment, then the TOML file named by TUTELA_CONFIG."""
        import os

        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("TUTELA_CONFIG")
        if config_file:
            # pydantic-settings skips a missing TOML file silently; a typo must not mean "all defaults".
            if not Path(config_file).is_file():
                raise FileNotFoundError(f"TUTELA_CONFIG names {config_file}, which is not a file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @field_validator("regions")
    @classmethod
    def _unique_regions(cls, regions: list[RegionSettings]) -> list[RegionSettings]:
        names = [r.name for r in regions]
        if not names:
            raise ValueError("at least one region is required")
        if len(set(names)) != len(names):
            raise ValueError(f"region names must be unique, got {names}")
        return regions

    @model_validator(mode="after")
    def _default_region_exists(self) -> Settings:
        if self.default_region is not None and self.default_region not in self.region_names:
            raise ValueError(f"default_region {self.default_region!r} is not one of {self.region_names}")
        return self

    @property
    def region_names(self) -> list[str]:
        """Names of the configured regions, in order."""
        return [r.name for r in self.regions]

    @property
    def home_region(self) -> str:
        """The region new organizations land in when none is given."""
        return self.default_region or self.regions[0].name

    def resolved_regions(self) -> dict[str, RegionSettings]:
        """Regions by name with placeholders filled in."""
        return {r.name: r.resolved(self.data_dir) for r in self.regions}

    def resolve(self, template: str) -> str:
        """Fill `{data_dir}` in a URL or path."""
        return template.format(data_dir=str(self.data_dir.resolve()))

    @property
    def service_key_path(self) -> Path:
        """The service key-encryption key file: outside every database, so backups of them hold no key."""
        return self.key_file or self.data_dir / "keys" / "service.key"
