"""Fallbacks, load balancing and the circuit breaker, with loopback upstreams that fail in each way, driven
by the `openai` package; routing set by an admin over the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest

from tests.gateway.fake_upstream import FakeUpstream, Fault
from tests.support.platform import Platform, running_platform
from tests.support.server import free_port
from tutela.core.audit.models import AuditEntry
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources
from tutela.gateway.routing import FAILURES_TO_OPEN
from tutela.storage.tenancy import scoped

HELLO = [{"role": "user", "content": "Say hello to the class"}]


@dataclass
class World:
    platform: Platform
    org_id: str
    resource_id: str
    ids: dict[str, str]
    admin: httpx.Client
    client: openai.OpenAI
    a: FakeUpstream
    b: FakeUpstream

    def route(self, name: str, **body: Any) -> httpx.Response:
        path = f"/api/ai/resources/{self.resource_id}/deployments/{self.ids[name]}/routing"
        return self.admin.put(path, json=body)

    def ask(self, model: str, **extra: Any) -> tuple[str, str]:
        """(the target that answered, the text)."""
        raw = self.client.chat.completions.with_raw_response.create(model=model, messages=HELLO, **extra)  # type: ignore[arg-type]
        if extra.get("stream"):
            text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
        else:
            text = raw.parse().choices[0].message.content or ""
        return raw.headers["x-tutela-target"], text


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with (
        FakeUpstream.running() as a,
        FakeUpstream.running() as b,
        running_platform(
            "sqlite", tmp_path_factory.mktemp("routing"), gateway={"access_cache_seconds": 0}
        ) as platform,
    ):
        name = f"Routing {uuid.uuid4().hex[:6]}"
        org_id = platform.new_org(name)
        runtime = platform.runtime
        ids = {}
        a.reply, b.reply = "Answer from A.", "Answer from B."
        nowhere = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: connection refused
        with runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            for deployment, url in (("east-a", a.base_url), ("east-b", b.base_url), ("dead", nowhere)):
                row = deployments.create(
                    runtime, db, registry=default_registry(plugins=False), org_id=org_id,
                    resource_id=resource.id, name=deployment, provider="openai", model="fake-model",
                    base_url=url, api_key=a.api_key,
                )  # fmt: skip
                # No retries on the same target and a short read timeout keep the test fast.
                row.options = {**row.options, "max_retries": 0, "read_timeout": 1.0}
                ids[deployment] = row.id
            _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
            resource_id = resource.id
        token = platform.login(name.lower().replace(" ", "-"), "admin@example.com")
        with platform.client(token) as admin:
            client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
            yield World(platform, org_id, resource_id, ids, admin, client, a, b)


@pytest.mark.parametrize(
    "fault",
    [Fault.http(500), Fault.http(503), Fault.rate_limited(), Fault("slow", delay=3.0)],
    ids=["500", "503", "429", "timeout"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_a_failing_first_upstream_is_answered_by_its_fallback(
    world: World, fault: Fault, stream: bool
) -> None:
    assert world.route("east-a", fallbacks=["east-b"]).status_code == 200
    world.a.reset()
    world.a.fail(fault)
    target, text = world.ask("east-a", stream=stream)
    assert (target, text) == ("east-b", "Answer from B.")
    assert world.a.pending_faults == 0  # A was tried first
    assert world.ask("east-a", stream=stream) == ("east-a", "Answer from A.")  # A is back


def test_a_refused_connection_falls_back(world: World) -> None:
    assert world.route("dead", fallbacks=["east-b"]).status_code == 200
    assert world.ask("dead") == ("east-b", "Answer from B.")


def test_the_upstreams_refusal_is_the_clients_answer(world: World) -> None:
    assert world.route("east-a", fallbacks=["east-b"]).status_code == 200
    world.a.reset()
    world.b.reset()
    world.a.fail(Fault.http(400, {"error": {"message": "bad request", "type": "invalid_request_error"}}))
    with pytest.raises(openai.BadRequestError):
        world.ask("east-a")
    assert world.b.requests == []


def test_weighted_targets_share_the_load_and_breaker_skips_a_failing_one(world: World) -> None:
    assert world.route("east-b", targets=[{"deployment": "east-a", "weight": 3}, {"deployment": "east-b"}])
    counts = {"east-a": 0, "east-b": 0}
    for _ in range(40):
        counts[world.ask("east-b")[0]] += 1
    assert counts["east-a"] > counts["east-b"] > 0, counts
    # A fails every time: after FAILURES_TO_OPEN failures it is skipped, so B answers without A being asked.
    world.a.reset()
    world.a.fail(*[Fault.http(500)] * 50)
    for _ in range(FAILURES_TO_OPEN + 10):
        assert world.ask("east-b")[0] == "east-b"
    assert len(world.a.requests) <= FAILURES_TO_OPEN
    world.a.reset()


def test_routing_names_only_deployments_of_the_same_resource_and_is_audited(world: World) -> None:
    for bad in (
        {"fallbacks": ["no-such-deployment"]},
        {"fallbacks": ["east-b", "east-b"]},
        {"targets": [{"deployment": "east-b", "weight": -1}]},
        {"fallbacks": ["east-b"], "region": "us"},
    ):
        assert world.route("east-a", **bad).status_code in (400, 422), bad
    other = world.platform.new_org(f"Other {uuid.uuid4().hex[:6]}")
    runtime = world.platform.runtime
    with runtime.region_session(other) as db:
        elsewhere = resources.find_resource(db, org_id=other, name="default")
        assert elsewhere is not None
        deployments.create(
            runtime, db, registry=default_registry(plugins=False), org_id=other, resource_id=elsewhere.id,
            name="theirs-only", provider="openai", model="m", base_url=world.b.base_url, api_key="sk-x",
        )  # fmt: skip
    # Another organization's deployment is not one of this resource's, so it cannot be named.
    assert world.route("east-a", fallbacks=["theirs-only"]).status_code == 400
    read = world.route("east-a", fallbacks=["east-b"]).json()
    assert read["routing"] == {"targets": [], "fallbacks": ["east-b"]}
    with world.platform.runtime.region_session(world.org_id) as db:
        actions = [e.action for e in db.scalars(scoped(AuditEntry, world.org_id))]
    assert "ai.deployment_routing_set" in actions
