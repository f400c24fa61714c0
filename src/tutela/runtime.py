"""The running platform: settings, the directory, each region's databases and stores, and the service key.

Built once from settings (`Runtime.open`) by the app, the CLI or a job worker; nothing is opened at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tutela.clock import Clock
from tutela.config import RegionSettings, Settings
from tutela.errors import NotFound
from tutela.storage.crypto.envelope import KeyService, ServiceKeyring
from tutela.storage.crypto.service_key import ProtectedTable
from tutela.storage.db import Database

if TYPE_CHECKING:
    from tutela.core.auth.throttle import AuthThrottle
    from tutela.metrics import Metrics
    from tutela.storage.blobs import BlobStore
    from tutela.storage.crypto.keymanagers import KeyManager
    from tutela.storage.jobs import Jobs
    from tutela.tracing import Tracing


class Region:
    """One region's data database, key store and blob store."""

    def __init__(self, settings: RegionSettings) -> None:
        self.name = settings.name
        self.settings = settings
        self.db = Database(settings.database_url)
        self.keys_db = Database(settings.keys_url)

    @cached_property
    def blobs(self) -> BlobStore:
        """The region's blob store (opened on first use)."""
        from tutela.storage.blobs import open_blob_store

        return open_blob_store(self.settings.blobs_url)

    def made_with_service_key(self) -> list[ProtectedTable]:
        """Where the region keeps what the service key made: wrapped data keys and keyed audit chains."""
        from tutela.core.audit.models import AuditEntry
        from tutela.storage.crypto.models import DataKey

        keys, data = f"the key store of region {self.name!r}", f"the database of region {self.name!r}"
        return [
            ProtectedTable("wrapped data keys", keys, self.keys_db, DataKey.__tablename__),
            ProtectedTable("audit entries", data, self.db, AuditEntry.__tablename__),
        ]

    def dispose(self) -> None:
        """Close the region's connections."""
        self.db.dispose()
        self.keys_db.dispose()


class Runtime:
    """Everything a request or a job needs to reach storage."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        from tutela.core.auth.secrets import configure_password_hashing

        configure_password_hashing(
            time_cost=settings.auth.argon2_time_cost, memory_kib=settings.auth.argon2_memory_kib
        )
        self.directory = Database(settings.resolve(settings.directory_url))
        self.regions = {name: Region(r) for name, r in settings.resolved_regions().items()}
        try:
            # A missing key file is made on a fresh installation only, never over data made with the old key.
            protected = [t for region in self.regions.values() for t in region.made_with_service_key()]
            self.keyring = ServiceKeyring.open(settings.service_key_path, protected=protected)
        except BaseException:
            self._dispose()
            raise
        self.keys = KeyService(self.keyring)
        self._region_of_org: dict[str, str] = {}
        self._key_managers: dict[str, KeyManager] = {}
        self._on_close: list[Callable[[], None]] = []

    def region(self, name: str) -> Region:
        """A configured region by name."""
        try:
            return self.regions[name]
        except KeyError:
            raise NotFound(f"region {name!r} is not configured (have: {', '.join(self.regions)})") from None

    def region_of(self, org_id: str) -> Region:
        """The region an organization is pinned to, from the directory (cached: placement never changes)."""
        name = self._region_of_org.get(org_id)
        if name is None:
            from tutela.core.directory import service as directory

            with self.directory.session() as db:
                name = directory.region_of(db, org_id=org_id)
            self._region_of_org[org_id] = name
        return self.region(name)

    @cached_property
    def jobs(self) -> Jobs:
        """The job queue, built on first use."""
        from tutela.storage.jobs import Jobs

        return Jobs(self)

    @cached_property
    def metrics(self) -> Metrics:
        """This process's Prometheus metrics (served at /metrics)."""
        from tutela.metrics import Metrics

        return Metrics()

    @cached_property
    def tracing(self) -> Tracing:
        """This process's OpenTelemetry traces: disabled (and nothing imported) unless an endpoint is set."""
        from tutela.tracing import open_tracing

        return open_tracing(self.settings.server.otlp_traces_endpoint)

    @cached_property
    def throttle(self) -> AuthThrottle:
        """Throttling of failed authentications, over the failure store of the jobs backend."""
        from tutela.core.auth.throttle import AuthThrottle
        from tutela.storage.throttle import open_failure_store

        return AuthThrottle(
            open_failure_store(self.settings),
            self.settings.auth.throttle,
            self.clock,
            secret=self.keyring.derive("tutela auth throttle v1"),
        )

    def customer_key(self, spec: str | None) -> KeyManager | None:
        """The key manager for an organization's own key spec, opened once (a local key file: every time)."""
        if spec is None:
            return None
        if spec.startswith("local:"):
            from tutela.storage.crypto.keymanagers import open_key_manager

            # Re-read on every use: removing the key file must revoke access at once, as disabling a KMS
            # key does (KMS managers check the key's state on every call, so caching them is safe).
            return open_key_manager(spec)
        manager = self._key_managers.get(spec)
        if manager is None:
            from tutela.storage.crypto.keymanagers import open_key_manager

            manager = self._key_managers[spec] = open_key_manager(spec)
        return manager

    def customer_key_spec(self, db: Session, org_id: str) -> str | None:
        """The organization's own key spec (None: the service key alone), for storage sealing its files.

        The runtime is the composition root: it lets storage reach the organization's setting without
        storage importing the layers above it.
        """
        from tutela.core.organizations.models import Organization

        org = db.get(Organization, org_id)
        return org.customer_key_spec if org is not None else None

    def provision_organization(self, db: Session, *, org_id: str) -> None:
        """Give a new organization what the layers above core provide: its default AI resource with the
        built-in deployments. Core's organization service calls this instead of importing the gateway."""
        from tutela.gateway.resources.provisioning import provision_organization

        provision_organization(db, org_id=org_id)

    @contextmanager
    def region_session(self, org_id: str) -> Iterator[Session]:
        """A unit of work on an organization's region database."""
        with self.region_of(org_id).db.session() as db:
            yield db

    def on_close(self, fn: Callable[[], None]) -> None:
        """Run `fn` when the runtime closes, before its databases go (e.g. to write queued records)."""
        self._on_close.append(fn)

    def close(self) -> None:
        """Run the close callbacks, then dispose every engine."""
        while self._on_close:
            self._on_close.pop()()
        if "throttle" in self.__dict__:
            self.throttle.close()
        if "tracing" in self.__dict__:
            self.tracing.close()
        self._dispose()

    def _dispose(self) -> None:
        """Dispose the engines of the directory and of every region."""
        self.directory.dispose()
        for region in self.regions.values():
            region.dispose()
