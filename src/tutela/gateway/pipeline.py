"""The gateway's request pipeline, one explicit sequence for every operation:

    authenticate (access.py) → resolve deployment → [filter prompt] → [ground on customer data]
    → provider → [filter completion] → [annotate] → [monitor]

Bracketed steps are seams that content safety, grounding and abuse monitoring plug into. The product's own
AI use (authoring) calls the same `Gateway` methods in process, so every guarantee applies to it too.
The gateway keeps no prompt or completion: nothing here logs or stores content.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from tutela.errors import NotFound
from tutela.gateway.access import AccessCache, Caller
from tutela.gateway.deployments import service as deployments
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.providers.base import DeploymentConfig, Provider, start_stream
from tutela.gateway.providers.registry import ProviderRegistry, default_registry
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse
from tutela.gateway.wire.completions import CompletionChunk, CompletionRequest, CompletionResponse
from tutela.gateway.wire.embeddings import EmbeddingRequest, EmbeddingResponse
from tutela.gateway.wire.exceptions import NotFoundError, UnsupportedOperationError
from tutela.runtime import Runtime


class Gateway:
    """Providers, access checks and the pipeline, shared by HTTP routes and in-process callers."""

    def __init__(self, runtime: Runtime, *, registry: ProviderRegistry | None = None) -> None:
        self.runtime = runtime
        self.registry = registry or default_registry()
        self.access = AccessCache(runtime)
        self._providers: dict[str, Provider] = {}
        self._provider_lock = asyncio.Lock()
        self._deployments: dict[tuple[str, str, str], tuple[DeploymentConfig, float]] = {}
        self._deployment_lock = threading.Lock()

    async def close(self) -> None:
        """Release every provider's resources."""
        for provider in self._providers.values():
            await provider.close()
        self._providers.clear()

    async def provider(self, name: str) -> Provider:
        """The shared, started instance of a provider."""
        provider = self._providers.get(name)
        if provider is None:
            async with self._provider_lock:
                provider = self._providers.get(name)
                if provider is None:
                    provider = self.registry.create(name)
                    await provider.start()
                    self._providers[name] = provider
        return provider

    async def resolve(self, caller: Caller, name: str) -> DeploymentConfig:
        """The deployment config from the cache, or from the database off the event loop."""
        cached = self._cached(caller, name)
        return cached if cached is not None else await asyncio.to_thread(self.deployment, caller, name)

    def _cached(self, caller: Caller, name: str) -> DeploymentConfig | None:
        cached = self._deployments.get((caller.org_id, caller.resource_id, name))
        ttl = self.runtime.settings.gateway.access_cache_seconds
        if cached is not None and time.monotonic() - cached[1] <= ttl:
            return cached[0]
        return None

    def deployment(self, caller: Caller, name: str) -> DeploymentConfig:
        """Resolve `model` (or the Azure path's deployment) to a provider configuration, cached briefly."""
        cache_key = (caller.org_id, caller.resource_id, name)
        cached = self._cached(caller, name)
        if cached is not None:
            return cached
        with self.runtime.region_session(caller.org_id) as db:
            try:
                row = deployments.find(db, org_id=caller.org_id, resource_id=caller.resource_id, name=name)
            except NotFound as exc:
                raise NotFoundError(exc.message, param="model", code="model_not_found") from None
            config = deployments.config(self.runtime, db, row)
        with self._deployment_lock:
            self._deployments[cache_key] = (config, time.monotonic())
        return config

    def list_deployments(self, caller: Caller) -> list[Deployment]:
        """The deployments a key may call."""
        with self.runtime.region_session(caller.org_id) as db:
            return deployments.list_deployments(db, org_id=caller.org_id, resource_id=caller.resource_id)

    async def chat(
        self, caller: Caller, request: ChatRequest, *, deployment: str | None = None
    ) -> ChatResponse:
        """A whole chat completion."""
        config = await self.resolve(caller, deployment or request.model)
        provider = await self.provider(config.provider)
        return await provider.chat_response(request, deployment=config)

    async def chat_stream(
        self, caller: Caller, request: ChatRequest, *, deployment: str | None = None
    ) -> AsyncIterator[ChatChunk]:
        """A streamed chat completion; errors before the first chunk are raised here, not mid-stream."""
        config = await self.resolve(caller, deployment or request.model)
        provider = await self.provider(config.provider)
        return await start_stream(provider.chat(request, deployment=config))

    async def complete(
        self, caller: Caller, request: CompletionRequest, *, deployment: str | None = None
    ) -> CompletionResponse:
        """A whole legacy completion."""
        config, provider = await self._for(caller, deployment or request.model, "supports_completions")
        return await provider.completion_response(request, deployment=config)

    async def complete_stream(
        self, caller: Caller, request: CompletionRequest, *, deployment: str | None = None
    ) -> AsyncIterator[CompletionChunk]:
        """A streamed legacy completion."""
        config, provider = await self._for(caller, deployment or request.model, "supports_completions")
        return await start_stream(provider.complete(request, deployment=config))

    async def embed(
        self, caller: Caller, request: EmbeddingRequest, *, deployment: str | None = None
    ) -> EmbeddingResponse:
        """Embeddings of the inputs."""
        config, provider = await self._for(caller, deployment or request.model, "supports_embeddings")
        return await provider.embed(request, deployment=config)

    async def _for(self, caller: Caller, name: str, capability: str) -> tuple[DeploymentConfig, Provider]:
        config = await self.resolve(caller, name)
        provider = await self.provider(config.provider)
        if not getattr(provider, capability):
            operation = "completions" if capability == "supports_completions" else "embeddings"
            raise UnsupportedOperationError(
                f"The model '{name}' does not support {operation}.", param="model"
            )
        return config, provider

    def describe(self, provider_name: str) -> dict[str, Any]:
        """What `/v1/models` says about a provider: its capabilities and stated limits."""
        cls = self.registry.get(provider_name)
        return {
            "provider": provider_name,
            "streaming": cls.supports_streaming,
            "completions": cls.supports_completions,
            "embeddings": cls.supports_embeddings,
            "limits": getattr(cls, "limits", None),
        }
