"""The gateway's HTTP surface, driven by the official `openai` package (OpenAI and AzureOpenAI clients).

Client → Tutela on loopback → `openai` / `azure-openai` provider → a fake upstream on loopback speaking the
real protocol. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import Platform, running_platform
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

API_VERSION = "2024-10-21"


@dataclass
class Wired:
    platform: Platform
    upstream: FakeUpstream
    org_id: str
    key: str

    def openai(self, key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.platform.base_url}/v1", api_key=key or self.key, max_retries=0)

    def azure(self, key: str | None = None) -> openai.AzureOpenAI:
        return openai.AzureOpenAI(
            azure_endpoint=self.platform.base_url,
            api_key=key or self.key,
            api_version=API_VERSION,
            max_retries=0,
        )

    def new_key(self) -> tuple[str, str]:
        with self.platform.runtime.region_session(self.org_id) as db:
            resource = resources.find_resource(db, org_id=self.org_id, name="default")
            assert resource is not None
            key, raw = resources.create_key(db, org_id=self.org_id, resource_id=resource.id)
            return key.id, raw


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def wired(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wired]:
    data_dir: Path = tmp_path_factory.mktemp(f"gw-{request.param}")
    with (
        FakeUpstream.running(deployments=("gpt-4o",)) as upstream,
        running_platform(request.param, data_dir, gateway={"access_cache_seconds": 0}) as platform,
    ):
        org_id = platform.new_org(f"Gateway {uuid.uuid4().hex[:6]}")
        runtime = platform.runtime
        with runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            registry = default_registry(plugins=False)
            deployments.create(
                runtime,
                db,
                registry=registry,
                org_id=org_id,
                resource_id=resource.id,
                name="tutor",
                provider="openai",
                model="fake-model",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
            deployments.create(
                runtime,
                db,
                registry=registry,
                org_id=org_id,
                resource_id=resource.id,
                name="azure-tutor",
                provider="azure-openai",
                model="gpt-4o",
                base_url=upstream.url,
                api_key=upstream.api_key,
                api_version=API_VERSION,
            )
            _, raw = resources.create_key(db, org_id=org_id, resource_id=resource.id)
        yield Wired(platform, upstream, org_id, raw)


def test_models_lists_the_resource_deployments_with_capabilities(wired: Wired) -> None:
    models = {m.id: m for m in wired.openai().models.list()}
    assert {"tutor", "azure-tutor", "extractive"} <= set(models)
    extra = models["tutor"].model_extra or {}
    assert extra["tutela"]["provider"] == "openai"
    assert extra["tutela"]["streaming"] is True


def test_chat_non_streaming_and_streaming_agree(wired: Wired) -> None:
    client = wired.openai()
    messages = [{"role": "user", "content": "Say something about gateways"}]
    whole = client.chat.completions.create(model="tutor", messages=messages, seed=7)  # type: ignore[arg-type]
    assert whole.model == "tutor"
    assert whole.usage is not None and whole.usage.total_tokens > 0
    text = whole.choices[0].message.content or ""
    assert text
    stream = client.chat.completions.create(
        model="tutor",
        messages=messages,
        stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == text
    assert chunks[-1].usage is not None


def test_n_stop_max_tokens_and_json_schema_reach_the_upstream(wired: Wired) -> None:
    wired.upstream.reset()
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    wired.openai().chat.completions.create(
        model="tutor",
        messages=[{"role": "user", "content": "hi"}],
        n=2,
        stop=["\n\n"],
        max_tokens=20,
        temperature=0.2,
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    )
    sent = wired.upstream.requests[-1].json
    assert sent["n"] == 2 and sent["stop"] == ["\n\n"] and sent["max_tokens"] == 20
    assert sent["model"] == "fake-model"  # the deployment's upstream model, not the client's name
    assert sent["response_format"]["json_schema"]["schema"] == schema


def test_completions_and_embeddings_float_and_base64(wired: Wired) -> None:
    client = wired.openai()
    completion = client.completions.create(model="tutor", prompt="Once upon a time")
    assert completion.choices[0].text
    floats = client.embeddings.create(model="tutor", input=["a", "b"], encoding_format="float")
    base64 = client.embeddings.create(model="tutor", input=["a", "b"])  # the SDK asks for base64
    assert len(floats.data) == 2
    assert floats.data[0].embedding == pytest.approx(base64.data[0].embedding, abs=1e-6)


def test_azure_client_chat_stream_and_embeddings(wired: Wired) -> None:
    client = wired.azure()
    messages = [{"role": "user", "content": "hello azure"}]
    whole = client.chat.completions.create(model="azure-tutor", messages=messages)  # type: ignore[arg-type]
    assert whole.choices[0].message.content
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(model="azure-tutor", messages=messages, stream=True)  # type: ignore[arg-type]
        if c.choices
    )
    assert streamed == whole.choices[0].message.content
    assert len(client.embeddings.create(model="azure-tutor", input="x").data) == 1


def test_azure_v1_api_is_served_under_openai_v1(wired: Wired) -> None:
    """Azure OpenAI's v1 API: the plain OpenAI client on `{endpoint}/openai/v1/`, key as api-key or Bearer."""
    for headers in ({}, {"api-key": wired.key}):
        client = openai.OpenAI(
            base_url=f"{wired.platform.base_url}/openai/v1/",
            api_key="unused" if headers else wired.key,
            default_headers=headers,
            max_retries=0,
        )
        assert "azure-tutor" in {m.id for m in client.models.list()}
        messages = [{"role": "user", "content": "hello azure v1"}]
        whole = client.chat.completions.create(model="azure-tutor", messages=messages)  # type: ignore[arg-type]
        assert whole.choices[0].message.content
        stream = client.chat.completions.create(model="azure-tutor", messages=messages, stream=True)  # type: ignore[arg-type]
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == (
            whole.choices[0].message.content
        )
        assert len(client.embeddings.create(model="azure-tutor", input="x").data) == 1


def test_responses_carry_request_id_and_gateway_time_streaming_too(wired: Wired) -> None:
    headers = {"Authorization": f"Bearer {wired.key}"}
    body = {"model": "tutor", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(base_url=wired.platform.base_url, headers=headers) as client:
        plain = client.post("/v1/chat/completions", json=body)
        with client.stream("POST", "/v1/chat/completions", json=body | {"stream": True}) as streamed:
            assert streamed.headers["content-type"].startswith("text/event-stream")
            stream_headers = streamed.headers
            assert "data: [DONE]" in "".join(streamed.iter_text())
    for response_headers in (plain.headers, stream_headers):
        assert response_headers["x-request-id"].startswith("req_")
        assert float(response_headers["x-tutela-processing-ms"]) >= 0


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body["error"]) >= {"message", "type", "param", "code"}
    error: dict[str, object] = body["error"]
    return error


def test_bad_input_gets_precise_openai_errors(wired: Wired) -> None:
    headers = {"Authorization": f"Bearer {wired.key}"}
    chat = {"model": "tutor", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.Client(base_url=wired.platform.base_url, headers=headers) as client:
        unknown = client.post("/v1/chat/completions", json=chat | {"model": "nope"})
        assert unknown.status_code == 404 and _error(unknown)["code"] == "model_not_found"
        broken = client.post(
            "/v1/chat/completions", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert broken.status_code == 400 and "JSON" in str(_error(broken)["message"])
        too_many = client.post("/v1/chat/completions", json=chat | {"n": 1000})
        assert too_many.status_code == 400 and _error(too_many)["param"] == "n"
        bad_schema = client.post(
            "/v1/chat/completions",
            json=chat
            | {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {"type": "no-such-type"}},
                }
            },
        )
        assert bad_schema.status_code == 400 and "response_format" in str(_error(bad_schema)["param"])
        huge = client.post(
            "/v1/chat/completions",
            content=b"{" + b" " * (17 * 1024 * 1024) + b"}",
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
        no_version = client.post(
            "/openai/deployments/tutor/chat/completions", json=chat, headers={"api-key": wired.key}
        )
        assert no_version.status_code == 400 and _error(no_version)["param"] == "api-version"
        no_embeddings = client.post("/v1/completions", json={"model": "extractive-missing", "prompt": "x"})
        assert no_embeddings.status_code == 404
    with httpx.Client(base_url=wired.platform.base_url) as anonymous:
        missing = anonymous.post("/v1/chat/completions", json=chat)
        assert missing.status_code == 401 and _error(missing)["code"] == "invalid_api_key"
        wrong = anonymous.post(
            "/v1/chat/completions", json=chat, headers={"Authorization": f"Bearer {wired.key[:-3]}xyz"}
        )
        assert wrong.status_code == 401


def test_wrong_key_and_revoked_key_fail_through_the_sdk(wired: Wired) -> None:
    with pytest.raises(openai.AuthenticationError):
        wired.openai("tk1.not.a.key").models.list()
    key_id, raw = wired.new_key()
    assert wired.openai(raw).models.list()
    with wired.platform.runtime.region_session(wired.org_id) as db:
        resources.revoke_key(db, org_id=wired.org_id, key_id=key_id, now=wired.platform.runtime.clock.now())
    with pytest.raises(openai.AuthenticationError, match="revoked"):
        wired.openai(raw).models.list()


def test_ai_switched_off_refuses_every_call(wired: Wired) -> None:
    from tutela.core.organizations import service as organizations

    runtime = wired.platform.runtime
    with runtime.region_session(wired.org_id) as db:
        organizations.set_ai_enabled(db, org_id=wired.org_id, enabled=False)
    try:
        with pytest.raises(openai.PermissionDeniedError, match="switched off"):
            wired.openai().chat.completions.create(model="tutor", messages=[{"role": "user", "content": "x"}])
    finally:
        with runtime.region_session(wired.org_id) as db:
            organizations.set_ai_enabled(db, org_id=wired.org_id, enabled=True)


def test_another_organizations_deployment_is_not_found(wired: Wired) -> None:
    other = wired.platform.new_org(f"Other {uuid.uuid4().hex[:6]}")
    with wired.platform.runtime.region_session(other) as db:
        resource = resources.find_resource(db, org_id=other, name="default")
        assert resource is not None
        _, other_key = resources.create_key(db, org_id=other, resource_id=resource.id)
    with pytest.raises(openai.NotFoundError):
        wired.openai(other_key).chat.completions.create(
            model="tutor", messages=[{"role": "user", "content": "x"}]
        )
