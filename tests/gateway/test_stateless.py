"""The gateway keeps no prompt or completion: a canary sent through it appears in no log, database or file,
also when external safety services screen it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.gateway.fake_upstream import FakeUpstream
from tests.gateway.safety.fake_safety_services import AZURE_KEY, FakeSafetyServices
from tests.support.platform import running_platform
from tests.support.traces import LogLines, capture_all_logs, database_text, files_containing
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources


@pytest.fixture
def all_logs() -> Iterator[LogLines]:
    with capture_all_logs() as lines:
        yield lines


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_canary_leaves_no_trace(backend: str, tmp_path: Path, all_logs: LogLines) -> None:
    canary = f"CANARY-{uuid.uuid4().hex}"
    with FakeUpstream.running() as upstream, running_platform(backend, tmp_path) as platform:
        wired = platform.gateway_org("Stateless", upstream, model="m")
        key = wired.key
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        messages = [{"role": "user", "content": f"Please repeat {canary}"}]
        reply = client.chat.completions.create(model="tutor", messages=messages)  # type: ignore[arg-type]
        assert canary in (reply.choices[0].message.content or "")  # the canary did travel both ways
        streamed = client.chat.completions.create(model="tutor", messages=messages, stream=True)  # type: ignore[arg-type]
        assert canary in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        client.embeddings.create(model="tutor", input=canary)
        # /v1/moderations runs every input through the encoder stage (MiniLM + heads).
        moderated = client.moderations.create(input=f"Please repeat {canary}").results[0]
        assert isinstance(moderated.category_scores.violence, float)
        client.completions.create(model="tutor", prompt=canary)
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model=canary, messages=messages)  # type: ignore[arg-type]

        assert all_logs.lines, "the test must see the gateway's access log lines"
        assert any("/v1/chat/completions" in line for line in all_logs.lines)
        assert not [line for line in all_logs.lines if canary in line]
        assert canary not in database_text(platform.runtime)
    assert [p for p in tmp_path.rglob("*") if p.is_file()], (
        "the data dir must hold databases and the key file"
    )
    assert not files_containing(tmp_path, canary)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_canary_screened_by_external_services_leaves_no_trace(
    backend: str, tmp_path: Path, all_logs: LogLines
) -> None:
    canary = f"CANARY-{uuid.uuid4().hex}"
    with (
        FakeUpstream.running() as upstream,
        FakeSafetyServices.running() as services,
        running_platform(backend, tmp_path) as platform,
    ):
        org_id = platform.new_org("Stateless external")
        with platform.runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            row = deployments.create(
                platform.runtime,
                db,
                registry=default_registry(plugins=False),
                org_id=org_id,
                resource_id=resource.id,
                name="tutor",
                provider="openai",
                model="m",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
            _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
            url = f"/api/ai/resources/{resource.id}/deployments/{row.id}/content-filter"
        azure = {"kind": "azure_content_safety", "name": "acs", "endpoint": services.azure_endpoint}
        guard = {"kind": "llama_guard", "name": "guard", "base_url": services.guard_base_url}
        settings = {
            "services": [
                azure | {"api_key": AZURE_KEY, "jurisdiction": "local"},
                guard | {"jurisdiction": "local"},
            ]
        }
        with platform.client(platform.login("stateless-external", "admin@example.com")) as admin:
            assert admin.put(url, json=settings).status_code == 200
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        messages = [{"role": "user", "content": f"Please repeat {canary}"}]
        reply = client.chat.completions.create(model="tutor", messages=messages)  # type: ignore[arg-type]
        assert canary in (reply.choices[0].message.content or "")
        streamed = client.chat.completions.create(model="tutor", messages=messages, stream=True)  # type: ignore[arg-type]
        assert canary in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        client.completions.create(model="tutor", prompt=canary)
        assert sum(canary in str(s.body) for s in services.seen) >= 6  # both ways, through both services

        assert not [line for line in all_logs.lines if canary in line or AZURE_KEY in line]
        assert canary not in database_text(platform.runtime)
        assert AZURE_KEY not in database_text(platform.runtime)
    assert not files_containing(tmp_path, canary)
    assert not files_containing(tmp_path, AZURE_KEY)
