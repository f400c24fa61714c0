"""Helpers of the monitoring tests: organizations with keys, staff, exchanges with verdicts, raw reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text

from tests.support.platform import PASSWORD, Platform
from tutela.core.auth import staff as staff_service
from tutela.core.permissions.roles import StaffRole
from tutela.gateway.access import Caller
from tutela.gateway.exchange import Exchange
from tutela.gateway.monitoring.recorder import recorder_for
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime


@dataclass
class Org:
    """An organization with its admin session, default resource and one gateway key."""

    id: str
    slug: str
    admin_token: str
    resource_id: str
    key_id: str
    key: str

    def caller(self, platform: Platform, *, content_logging: bool = True) -> Caller:
        return Caller(
            org_id=self.id,
            region=platform.runtime.region_of(self.id).name,
            resource_id=self.resource_id,
            key_id=self.key_id,
            content_logging=content_logging,
        )


def new_org(platform: Platform, label: str = "mon") -> Org:
    tag = f"{label}{uuid.uuid4().hex[:8]}"
    org_id = platform.new_org(f"Monitoring {tag}", admin_email=f"admin-{tag}@example.com")
    slug = f"monitoring-{tag}"
    token = platform.login(slug, f"admin-{tag}@example.com")
    with platform.runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name="default")
        assert resource is not None
        key, raw = resources.create_key(db, org_id=org_id, resource_id=resource.id, name="k")
        return Org(org_id, slug, token, resource.id, key.id, raw)


def new_staff(platform: Platform, *roles: StaffRole, location: str = "local") -> str:
    """Create a staff member and return a signed-in token."""
    email = f"staff-{uuid.uuid4().hex[:8]}@platform.example.com"
    with platform.runtime.directory.session() as ddb:
        staff_service.create_staff(
            ddb, email=email, password=PASSWORD, roles=set(roles), location=location, min_password_length=8
        )
    with platform.client() as client:
        response = client.post("/api/platform/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


def chat(platform: Platform, org: Org, content: str, *, stream: bool = False) -> httpx.Response:
    with platform.client(org.key) as client:
        return client.post(
            "/v1/chat/completions",
            json={
                "model": "extractive",
                "stream": stream,
                "messages": [{"role": "user", "content": content}],
            },
        )


def record(
    platform: Platform, org: Org, *, verdicts: dict[str, Any], prompt: str, completion: str = "ok"
) -> str:
    """Hand one exchange with screen verdicts to the gateway's recorder, as the pipeline does."""
    exchange = Exchange(caller=org.caller(platform), deployment="extractive", operation="chat")
    exchange.verdicts = verdicts
    exchange.prompt_texts = [prompt]
    exchange.completion_texts = [completion]
    recorder_for(platform.runtime).record(exchange)
    return exchange.request_id


def flush(runtime: Runtime) -> None:
    assert recorder_for(runtime).flush(timeout=30), "the monitoring queue did not drain"


def rows(runtime: Runtime, org_id: str, sql: str) -> list[Any]:
    """Raw SQL on the organization's region database (`:org` is bound)."""
    with runtime.region_of(org_id).db.engine.connect() as conn:
        return list(conn.execute(text(sql), {"org": org_id}))


def key_rows(runtime: Runtime, org_id: str) -> list[Any]:
    """The organization's monitoring day keys, straight from the key store."""
    with runtime.region_of(org_id).keys_db.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT id, scope, wrapped FROM data_keys"
                    " WHERE org_id = :org AND scope LIKE 'monitoring:%'"
                ),
                {"org": org_id},
            )
        )


HIGH = {"prompt": {"violence": {"filtered": True, "severity": "high"}}, "filtered": True}
FILTERED = {"prompt": {"hate": {"filtered": True, "severity": "medium"}}, "filtered": True}
JAILBREAK = {"prompt": {"jailbreak": {"filtered": True, "detected": True}}, "filtered": True}
CLEAN = {"prompt": {"hate": {"filtered": False, "severity": "safe"}}}
