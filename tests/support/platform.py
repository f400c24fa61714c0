"""Building a migrated runtime and an HTTP client for it in one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import openai

from tests.support.databases import settings_for
from tests.support.server import serve
from tutela.app import create_app
from tutela.clock import ManualClock
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime
from tutela.storage.migrations import upgrade_all

PASSWORD = "correct horse battery staple"
FAST_AUTH = {"argon2_time_cost": 1, "argon2_memory_kib": 8192}  # cheap hashing keeps the suite fast
# Every test client comes from 127.0.0.1 and a module's platform never moves its clock, so the shared
# platforms count failures as usual but start delays late; tests/core/test_throttle.py uses the defaults.
LENIENT_THROTTLE = {
    "account_free_failures": 200,
    "address_free_failures": 10_000,
    "credential_free_failures": 10_000,
}


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    """A migrated runtime with a manual clock, closed afterwards."""
    runtime = Runtime(settings, clock=ManualClock())
    try:
        upgrade_all(runtime)
        yield runtime
    finally:
        runtime.close()


class Upstream(Protocol):
    """What a loopback upstream offers a deployment (tests/gateway/fake_upstream.py's FakeUpstream)."""

    @property
    def base_url(self) -> str: ...

    @property
    def api_key(self) -> str: ...


@dataclass(frozen=True)
class GatewayOrg:
    """An organization whose default AI resource has a deployment on an upstream, and a key to call it."""

    org_id: str
    resource_id: str
    key_id: str
    key: str


@dataclass
class Platform:
    """A running Tutela: runtime, base URL, and helpers to make organizations and sign in."""

    runtime: Runtime
    base_url: str
    backend: str

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client, signed in when a token is given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def openai(self, key: str) -> openai.OpenAI:
        """The real `openai` client on the gateway's `/v1`, with a gateway key (no retries)."""
        return openai.OpenAI(base_url=f"{self.base_url}/v1", api_key=key, max_retries=0)

    def azure(self, key: str, api_version: str) -> openai.AzureOpenAI:
        """The real `AzureOpenAI` client on the gateway, with a gateway key (no retries)."""
        return openai.AzureOpenAI(
            azure_endpoint=self.base_url, api_key=key, api_version=api_version, max_retries=0
        )

    def new_org(self, name: str, *, region: str | None = None, admin_email: str = "admin@example.com") -> str:
        """Create an organization with an admin; returns its id."""
        org = organizations.create(
            self.runtime,
            name=name,
            region=region or self.runtime.settings.home_region,
            actor="test",
            admin=organizations.NewAdmin(email=admin_email, display_name="Admin", password=PASSWORD),
        )
        return org.id

    def gateway_org(
        self,
        name: str,
        upstream: Upstream,
        *,
        deployment: str = "tutor",
        provider: str = "openai",
        model: str = "fake-model",
        **options: Any,
    ) -> GatewayOrg:
        """A new organization (admin@example.com) with one upstream deployment and a gateway key."""
        org_id = self.new_org(name)
        with self.runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            deployments.create(
                self.runtime,
                db,
                registry=default_registry(plugins=False),
                org_id=org_id,
                resource_id=resource.id,
                name=deployment,
                provider=provider,
                model=model,
                base_url=upstream.base_url,
                api_key=upstream.api_key,
                **options,
            )
            key, raw = resources.create_key(db, org_id=org_id, resource_id=resource.id)
            return GatewayOrg(org_id, resource.id, key.id, raw)

    def login(self, org: str, email: str, password: str = PASSWORD) -> str:
        """Sign in through the API; returns the session token."""
        with self.client() as client:
            response = client.post(
                "/api/auth/login", json={"organization": org, "email": email, "password": password}
            )
            response.raise_for_status()
            token: str = response.json()["token"]
            return token


@contextmanager
def running_platform(backend: str, data_dir: Path, **kwargs: object) -> Iterator[Platform]:
    """Settings → migrated runtime → live server on loopback."""
    auth = FAST_AUTH | {"throttle": LENIENT_THROTTLE}
    extra = {"jobs": {"backend": "immediate"}, "auth": auth} | dict(kwargs)
    with (
        settings_for(backend, data_dir, **extra) as settings,  # type: ignore[arg-type]
        open_runtime(settings) as runtime,
        serve(create_app(runtime=runtime)) as base_url,
    ):
        yield Platform(runtime=runtime, base_url=base_url, backend=backend)
