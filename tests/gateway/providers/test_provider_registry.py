"""The provider registry: built-ins and plugins take the same lazy path."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tutela.gateway.providers.azure_openai import AzureOpenAIProvider
from tutela.gateway.providers.base import DeploymentConfig, Provider
from tutela.gateway.providers.openai_compat import OpenAICompatProvider
from tutela.gateway.providers.registry import ProviderRegistry, default_registry
from tutela.gateway.wire import (
    ChatChunk,
    ChatRequest,
    chat_chunk,
    parse_chat_request,
    parse_embedding_request,
)
from tutela.gateway.wire.exceptions import ProviderConfigurationError, UnsupportedOperationError


class EchoProvider(Provider):
    """A third-party style provider: chat only."""

    name = "echo"

    async def chat(self, request: ChatRequest, *, deployment: DeploymentConfig) -> AsyncIterator[ChatChunk]:
        yield chat_chunk(
            id="chatcmpl-1", model=request.model, role="assistant", content=request.messages[-1].text()
        )
        yield chat_chunk(id="chatcmpl-1", model=request.model, finish_reason="stop")


def test_builtins_are_registered_lazily() -> None:
    registry = default_registry(plugins=False)
    assert registry.names() == ["azure-openai", "extractive", "openai", "whisper"]
    assert registry.get("openai") is OpenAICompatProvider
    assert registry.get("azure-openai") is AzureOpenAIProvider
    assert OpenAICompatProvider.supports_embeddings
    assert OpenAICompatProvider.supports_streaming
    assert OpenAICompatProvider.supports_transcription and AzureOpenAIProvider.supports_transcription
    whisper = registry.get("whisper")
    assert whisper.supports_transcription and not whisper.supports_embeddings


def test_unknown_and_broken_providers_fail_clearly() -> None:
    registry = ProviderRegistry()
    registry.register("nowhere.at.all:Thing", name="broken")
    registry.register("tutela.gateway.wire:ChatRequest", name="not-a-provider")
    with pytest.raises(ProviderConfigurationError, match="unknown provider 'nope'"):
        registry.get("nope")
    with pytest.raises(ProviderConfigurationError, match="could not be loaded"):
        registry.get("broken")
    with pytest.raises(ProviderConfigurationError, match="not a Provider subclass"):
        registry.get("not-a-provider")


def test_duplicate_names_need_replace() -> None:
    registry = ProviderRegistry()
    registry.register(EchoProvider)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(EchoProvider)
    registry.register(EchoProvider, replace=True)
    assert registry.get("echo") is EchoProvider


def test_parse_options_validates_against_the_named_provider() -> None:
    registry = default_registry(plugins=False)
    bad = DeploymentConfig(name="x", provider="openai", options={"base_url": "ftp://x", "model": "m"})
    with pytest.raises(ProviderConfigurationError, match="base_url"):
        registry.parse_options(bad)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_minimal_provider_gets_collection_and_refusals_for_free(anyio_backend: str) -> None:
    registry = ProviderRegistry()
    registry.register(EchoProvider)
    provider = registry.create("echo")
    deployment = DeploymentConfig(name="echo-1", provider="echo")
    request = parse_chat_request({"model": "echo-1", "messages": [{"role": "user", "content": "ping"}]})

    response = await provider.chat_response(request, deployment=deployment)
    assert response.choices[0].message.content == "ping"
    assert response.choices[0].finish_reason == "stop"
    with pytest.raises(UnsupportedOperationError):
        await provider.embed(
            parse_embedding_request({"model": "echo-1", "input": "x"}), deployment=deployment
        )
