"""The ``azure-openai`` provider against the fake upstream's Azure paths."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.gateway.fake_upstream import FakeUpstream, Fault
from tests.support.sse import sse_events
from tutela.gateway.providers.azure_openai import AzureOpenAIProvider
from tutela.gateway.providers.base import DeploymentConfig
from tutela.gateway.providers.upstream import UpstreamClient
from tutela.gateway.wire import ChatRequest, parse_chat_request, parse_embedding_request, sse_stream
from tutela.gateway.wire.exceptions import (
    ProviderConfigurationError,
    UpstreamAuthenticationError,
    UpstreamError,
    UpstreamInvalidRequestError,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream.running(deployments=("gpt-4o-prod",)) as upstream:
        yield upstream


@pytest.fixture(autouse=True)
def _fresh(fake: FakeUpstream) -> None:
    fake.reset()


async def _no_wait(delay: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
async def provider() -> AsyncIterator[AzureOpenAIProvider]:
    async with UpstreamClient(sleep=_no_wait) as upstream, AzureOpenAIProvider(upstream=upstream) as prov:
        yield prov


def deployment(fake: FakeUpstream, **options: Any) -> DeploymentConfig:
    base: dict[str, Any] = {
        "endpoint": fake.url,
        "deployment": "gpt-4o-prod",
        "api_version": "2024-10-21",
        "api_key": fake.api_key,
        "read_timeout": 2.0,
    }
    return DeploymentConfig(name="tutor", provider="azure-openai", options={**base, **options})


def chat(**fields: Any) -> ChatRequest:
    return parse_chat_request(
        {"model": "tutor", "messages": [{"role": "user", "content": "hi azure"}], **fields}
    )


async def test_chat_uses_the_deployment_path_version_and_api_key(
    provider: AzureOpenAIProvider, fake: FakeUpstream
) -> None:
    response = await provider.chat_response(chat(), deployment=deployment(fake))

    assert response.choices[0].message.content == "echo: hi azure"
    assert response.model == "tutor"
    sent = fake.requests[0]
    assert sent.path == "/openai/deployments/gpt-4o-prod/chat/completions"
    assert sent.query == {"api-version": "2024-10-21"}
    assert sent.headers["api-key"] == fake.api_key
    assert "authorization" not in sent.headers
    assert "model" not in sent.json


async def test_stream_drops_prompt_filter_chunks_and_keeps_ids_stable(
    provider: AzureOpenAIProvider, fake: FakeUpstream
) -> None:
    request = chat(stream=True, stream_options={"include_usage": True})
    events = sse_events([e async for e in sse_stream(provider.chat(request, deployment=deployment(fake)))])

    assert events[-1] == b"data: [DONE]\n\n"
    chunks = [json.loads(e.removeprefix(b"data: ")) for e in events[:-1]]
    assert all(c["choices"] or c.get("usage") for c in chunks)  # no choice-less filter chunk
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert {c["id"] for c in chunks} == {"chatcmpl-fake"}
    # Azure's per-choice annotations pass through untouched.
    assert "content_filter_results" in chunks[0]["choices"][0]
    assert (
        "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
        == "echo: hi azure"
    )


async def test_embeddings_path(provider: AzureOpenAIProvider, fake: FakeUpstream) -> None:
    request = parse_embedding_request({"model": "tutor", "input": "vector me"})
    response = await provider.embed(request, deployment=deployment(fake))
    assert len(response.data) == 1
    assert fake.requests[0].path == "/openai/deployments/gpt-4o-prod/embeddings"


async def test_wrong_key_is_502_and_never_leaks(provider: AzureOpenAIProvider, fake: FakeUpstream) -> None:
    with pytest.raises(UpstreamAuthenticationError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake, api_key="azure-wrong-key-123456"))
    assert caught.value.status_code == 502
    assert "azure-wrong-key" not in caught.value.message


async def test_unknown_deployment_is_a_gateway_side_502(
    provider: AzureOpenAIProvider, fake: FakeUpstream
) -> None:
    with pytest.raises(UpstreamError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake, deployment="nope"))
    assert caught.value.status_code == 502
    assert caught.value.code == "upstream_model_not_found"


async def test_content_filter_400_passes_through(provider: AzureOpenAIProvider, fake: FakeUpstream) -> None:
    body = {"error": {"message": "The response was filtered", "code": "content_filter", "param": "prompt"}}
    fake.fail(Fault.http(400, body))
    with pytest.raises(UpstreamInvalidRequestError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake))
    assert caught.value.code == "content_filter"
    assert caught.value.status_code == 400


async def test_azure_429_is_retried(provider: AzureOpenAIProvider, fake: FakeUpstream) -> None:
    fake.fail(Fault.rate_limited(retry_after="1"))
    response = await provider.chat_response(chat(), deployment=deployment(fake))
    assert response.choices[0].message.content == "echo: hi azure"
    assert len(fake.requests) == 2


def test_azure_needs_a_key_source(fake: FakeUpstream) -> None:
    with pytest.raises(ProviderConfigurationError, match="needs one of"):
        AzureOpenAIProvider.parse_options(deployment(fake, api_key=None))
