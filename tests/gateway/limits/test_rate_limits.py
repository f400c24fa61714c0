"""Rate limits and token budgets as a client meets them: the `openai` package against a live Tutela, limits
set by an admin over the API, OpenAI's x-ratelimit-* headers, 429 with retry-after, windows that end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import openai
import pytest

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import Platform, running_platform
from tutela.clock import ManualClock
from tutela.core.audit.models import AuditEntry
from tutela.gateway.access import caller_for_org
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire import parse_chat_request
from tutela.gateway.wire.exceptions import RateLimitError
from tutela.storage.tenancy import scoped

HELLO = [{"role": "user", "content": "Say hello to the class"}]


@dataclass
class Org:
    platform: Platform
    org_id: str
    admin: httpx.Client
    resource_id: str
    key_id: str
    key: str

    def openai(self) -> openai.OpenAI:
        return self.platform.openai(self.key)

    def set(self, **body: Any) -> httpx.Response:
        return self.admin.put("/api/ai/limits", json=body)

    def clear(self) -> None:
        for row in self.admin.get("/api/ai/limits").json():
            assert self.admin.delete(f"/api/ai/limits/{row['id']}").status_code == 204


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, FakeUpstream]]:
    with (
        FakeUpstream.running(deployments=("gpt-4o",)) as upstream,
        running_platform(
            "sqlite", tmp_path_factory.mktemp("limits"), gateway={"access_cache_seconds": 0}
        ) as platform,
    ):
        yield platform, upstream


def _org(platform: Platform, upstream: FakeUpstream) -> Org:
    name = f"Limits {uuid.uuid4().hex[:6]}"
    wired = platform.gateway_org(name, upstream)
    org_id, resource_id, key_id, raw = wired.org_id, wired.resource_id, wired.key_id, wired.key
    token = platform.login(name.lower().replace(" ", "-"), "admin@example.com")
    return Org(platform, org_id, platform.client(token), resource_id, key_id, raw)


@pytest.fixture
def org(platform: tuple[Platform, FakeUpstream]) -> Iterator[Org]:
    made = _org(*platform)
    with made.admin:
        yield made


def _clock(org: Org) -> ManualClock:
    clock = org.platform.runtime.clock
    assert isinstance(clock, ManualClock)
    return clock


def test_a_key_over_its_requests_per_minute_gets_429_with_openai_headers(org: Org) -> None:
    assert org.set(scope="key", subject_id=org.key_id, requests_per_minute=2).status_code == 200
    client = org.openai()
    for remaining in ("1", "0"):
        raw = client.chat.completions.with_raw_response.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
        assert raw.headers["x-ratelimit-limit-requests"] == "2"
        assert raw.headers["x-ratelimit-remaining-requests"] == remaining
        assert raw.headers["x-ratelimit-reset-requests"].endswith("s")
        assert raw.parse().choices[0].message.content
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
    response = refused.value.response
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert "requests per minute" in response.json()["error"]["message"]
    # Streams are counted too, and the next minute starts from zero.
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="tutor", messages=HELLO, stream=True)  # type: ignore[arg-type]
    _clock(org).advance(timedelta(seconds=60))
    assert client.chat.completions.create(model="tutor", messages=HELLO).choices  # type: ignore[arg-type]


def test_a_daily_token_budget_of_the_organization_counts_answers_streams_included(org: Org) -> None:
    assert org.set(scope="organization", tokens_per_day=30, tokens_per_minute=1000).status_code == 200
    client = org.openai()
    first = client.chat.completions.with_raw_response.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
    used = first.parse().usage
    assert used is not None and used.total_tokens > 0
    assert first.headers["x-ratelimit-limit-tokens"] == "1000"
    assert first.headers["x-ratelimit-remaining-tokens"] == "1000"  # nothing used before this request
    stream = client.chat.completions.create(model="tutor", messages=HELLO, stream=True)  # type: ignore[arg-type]
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    third = client.chat.completions.with_raw_response.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
    assert int(third.headers["x-ratelimit-remaining-tokens"]) < 1000 - used.total_tokens  # the stream counted
    refused = None
    for _ in range(10):  # the budget runs out after a few answers
        try:
            client.chat.completions.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
        except openai.RateLimitError as exc:
            refused = exc.response
            break
    assert refused is not None, "the daily budget never refused"
    body = refused.json()["error"]
    assert body["code"] == "insufficient_quota" and "tokens per day" in body["message"]
    assert int(refused.headers["retry-after"]) > 60  # until the next UTC day
    _clock(org).advance(timedelta(days=1))
    assert client.chat.completions.create(model="tutor", messages=HELLO).choices  # type: ignore[arg-type]


def test_the_products_own_calls_count_against_the_signed_in_user(org: Org) -> None:
    users = org.admin.get("/api/users").json()
    admin_id = next(u["id"] for u in users if u["email"] == "admin@example.com")
    assert org.set(scope="user", subject_id=admin_id, requests_per_minute=1).status_code == 200
    runtime = org.platform.runtime

    async def two_calls(user_id: str) -> int:
        caller = caller_for_org(runtime, org.org_id, user_id=user_id)
        request = parse_chat_request(b'{"model":"tutor","messages":[{"role":"user","content":"Hello"}]}')
        admitted = 0
        for _ in range(2):  # a gateway per call, as each generation job builds its own
            gateway = Gateway(runtime)
            try:
                await gateway.chat(caller, request)
                admitted += 1
            except RateLimitError:
                pass
            finally:
                await gateway.close()
        return admitted

    assert asyncio.run(two_calls(admin_id)) == 1
    assert asyncio.run(two_calls("")) == 2  # the same organization's calls for nobody in particular
    # An API key of the same organization is not that user: its requests are not refused.
    assert org.openai().chat.completions.create(model="tutor", messages=HELLO).choices  # type: ignore[arg-type]


def test_limits_are_per_tenant_audited_and_refuse_bad_input(
    org: Org, platform: tuple[Platform, FakeUpstream]
) -> None:
    other = _org(*platform)
    with other.admin:
        # Another organization's key, resource or user is not found, whatever scope names it.
        for scope, subject in (("key", org.key_id), ("resource", org.resource_id), ("user", org.key_id)):
            response = other.set(scope=scope, subject_id=subject, requests_per_minute=1000)
            assert response.status_code == 404, response.text
        assert other.admin.get("/api/ai/limits").json() == []
        for bad in (
            {"scope": "key", "requests_per_minute": 5},  # no subject
            {"scope": "key", "subject_id": org.key_id, "requests_per_minute": -1},
            {"scope": "team", "subject_id": org.key_id},
            {"scope": "organization", "subject_id": org.key_id, "tokens_per_day": 5},
        ):
            assert other.set(**bad).status_code in (400, 422), bad
    assert org.set(scope="resource", subject_id=org.resource_id, requests_per_minute=7).status_code == 200
    listed = org.admin.get("/api/ai/limits").json()
    assert [(r["scope"], r["requests_per_minute"], r["tokens_per_day"]) for r in listed] == [
        ("resource", 7, None)
    ]
    org.clear()
    with org.platform.runtime.region_session(org.org_id) as db:
        actions = [e.action for e in db.scalars(scoped(AuditEntry, org.org_id))]
    assert actions.count("ai.limits_set") == 1 and actions.count("ai.limits_removed") == 1
    # Nobody sets limits without signing in (roles: tests/core/test_authorization_table.py).
    assert org.platform.client().put("/api/ai/limits", json={"scope": "organization"}).status_code == 401


def test_no_limit_means_no_ratelimit_headers(org: Org) -> None:
    raw = org.openai().chat.completions.with_raw_response.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
    assert not [h for h in raw.headers if h.startswith("x-ratelimit")]
