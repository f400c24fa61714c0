"""The gateway's request pipeline, one explicit sequence for every operation:

    authenticate (access.py) → resolve deployment → screen prompt → [ground on customer data]
    → provider → screen completion (annotate) → record (abuse monitoring)

Images take the same path; an image asked for as a link is sealed in the organization's region (images/)
and served only to keys of the resource that generated it.

`screen` and `recorder` are the seams of content safety and abuse monitoring (exchange.py); grounding on
customer data (`data_sources`, grounding/) runs after the caller's prompt is screened and recorded as sent,
so retrieved documents reach the model but never the monitoring store. A deployment set to
`pii: pseudonymise` has its provider wrapped (pii/provider.py): the upstream sees placeholders, every other
step the real texts. The product's own
AI use (authoring) calls the same `Gateway` methods in process, so every guarantee applies to it too.
The gateway keeps no prompt or completion: nothing here logs or stores content.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from tutela.errors import NotFound
from tutela.gateway.access import AccessCache, Caller
from tutela.gateway.deployments import service as deployments
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.exchange import Exchange, Recorder, Screen
from tutela.gateway.grounding.service import Grounded, Grounding
from tutela.gateway.images import service as images
from tutela.gateway.monitoring.recorder import recorder_for
from tutela.gateway.monitoring.texts import (
    StreamText,
    image_texts,
    request_texts,
    response_texts,
    usage_of,
)
from tutela.gateway.pii.provider import protect
from tutela.gateway.providers.base import DeploymentConfig, Provider, start_stream
from tutela.gateway.providers.registry import ProviderRegistry, default_registry
from tutela.gateway.safety.filtering_exceptions import UpstreamContentFilterError
from tutela.gateway.safety.screen import ContentScreen
from tutela.gateway.wire.audio import Transcription, TranscriptionRequest
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse, chunk_from_response
from tutela.gateway.wire.completions import CompletionChunk, CompletionRequest, CompletionResponse
from tutela.gateway.wire.embeddings import EmbeddingRequest, EmbeddingResponse
from tutela.gateway.wire.exceptions import GatewayError, NotFoundError, UnsupportedOperationError
from tutela.gateway.wire.images import ImageRequest, ImageResponse, decode_image, image_type
from tutela.runtime import Runtime

T = TypeVar("T")
IMAGE_LINK_PATH = "/v1/images/generated/"
_OPERATIONS = {
    "supports_completions": "completions",
    "supports_embeddings": "embeddings",
    "supports_transcription": "audio transcriptions",
    "supports_images": "image generation (Tutela's built-in model has no image model; add an 'openai' or "
    "'azure-openai' deployment of an image model)",
}


async def _one(chunk: ChatChunk) -> AsyncIterator[ChatChunk]:
    yield chunk


class Gateway:
    """Providers, access checks and the pipeline, shared by HTTP routes and in-process callers."""

    def __init__(self, runtime: Runtime, *, registry: ProviderRegistry | None = None) -> None:
        self.runtime = runtime
        self.registry = registry or default_registry()
        self.access = AccessCache(runtime)
        self.credentials = runtime.throttle.credentials  # wrong keys per client address
        # The seams of content safety and abuse monitoring (see exchange.py); off until configured.
        self.screen: Screen = ContentScreen(runtime)  # content safety: tutela.gateway.safety
        self.recorder: Recorder = recorder_for(runtime)  # abuse monitoring, off the request path
        self.grounding = Grounding(runtime, self.screen)  # "on your data": data_sources on chat
        self._providers: dict[str, Provider] = {}
        self._provider_lock = asyncio.Lock()
        self._deployments: dict[tuple[str, str, str], tuple[DeploymentConfig, float]] = {}
        self._deployment_lock = threading.Lock()

    async def close(self) -> None:
        """Release every provider's resources."""
        for provider in self._providers.values():
            await provider.close()
        self._providers.clear()
        await self.screen.close()
        await self.grounding.close()

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
        self,
        caller: Caller,
        request: ChatRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
    ) -> ChatResponse:
        """A whole chat completion."""
        exchange = self._exchange(caller, deployment or request.model, "chat", request_id)
        config = await self.resolve(caller, exchange.deployment)
        provider = protect(await self.provider(config.provider), config)
        await self._screened(exchange, request)
        grounded = await self._grounded(exchange, request)
        if grounded is None:
            answer = await provider.chat_response(request, deployment=config)
        else:
            answer = grounded.reply or await provider.chat_response(grounded.request, deployment=config)
        response = await self.screen.completion(exchange, answer)
        if grounded is not None:
            grounded.annotate(response)
        self._capture(exchange, response)
        self.recorder.record(exchange)
        return response

    async def chat_stream(
        self,
        caller: Caller,
        request: ChatRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
    ) -> AsyncIterator[ChatChunk]:
        """A streamed chat completion; errors before the first chunk are raised here, not mid-stream."""
        exchange = self._exchange(caller, deployment or request.model, "chat", request_id, streamed=True)
        config = await self.resolve(caller, exchange.deployment)
        provider = protect(await self.provider(config.provider), config)
        await self._screened(exchange, request)
        grounded = await self._grounded(exchange, request)
        if grounded is None:
            chunks = self.screen.stream(exchange, provider.chat(request, deployment=config))
        else:
            answer = (
                _one(chunk_from_response(grounded.reply))
                if grounded.reply is not None
                else provider.chat(grounded.request, deployment=config)
            )
            chunks = grounded.annotate_stream(self.screen.stream(exchange, answer))
        return await start_stream(self._recorded(exchange, chunks))

    async def complete(
        self,
        caller: Caller,
        request: CompletionRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
    ) -> CompletionResponse:
        """A whole legacy completion."""
        exchange = self._exchange(caller, deployment or request.model, "completion", request_id)
        config, provider = await self._for(caller, exchange.deployment, "supports_completions")
        await self._screened(exchange, request)
        response = await provider.completion_response(request, deployment=config)
        response = await self.screen.completion(exchange, response)
        self._capture(exchange, response)
        self.recorder.record(exchange)
        return response

    async def complete_stream(
        self,
        caller: Caller,
        request: CompletionRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
    ) -> AsyncIterator[CompletionChunk]:
        """A streamed legacy completion."""
        exchange = self._exchange(
            caller, deployment or request.model, "completion", request_id, streamed=True
        )
        config, provider = await self._for(caller, exchange.deployment, "supports_completions")
        await self._screened(exchange, request)
        chunks = self.screen.stream(exchange, provider.complete(request, deployment=config))
        return await start_stream(self._recorded(exchange, chunks))

    async def embed(
        self,
        caller: Caller,
        request: EmbeddingRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
    ) -> EmbeddingResponse:
        """Embeddings of the inputs."""
        exchange = self._exchange(caller, deployment or request.model, "embedding", request_id)
        config, provider = await self._for(caller, exchange.deployment, "supports_embeddings")
        await self._screened(exchange, request)
        response = await provider.embed(request, deployment=config)
        self._capture(exchange, response)
        self.recorder.record(exchange)
        return response

    async def generate_images(
        self,
        caller: Caller,
        request: ImageRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
        link_base: str = "",
    ) -> ImageResponse:
        """Generated images, inline (`b64_json`) or as links to Tutela's own sealed, expiring copies.

        `link_base` is where the caller reached the gateway; a region's configured `public_url` wins.
        """
        exchange = self._exchange(caller, deployment or request.model, "image", request_id)
        config, provider = await self._for(caller, exchange.deployment, "supports_images")
        await self._screened(exchange, request)
        try:
            response = await provider.generate_images(request, deployment=config)
        except UpstreamContentFilterError as exc:
            # The upstream's own verdict, for monitoring's flags (its severities count like ours).
            exchange.verdicts.update(filtered=True, upstream=exc.content_filter_result)
            self.recorder.record(exchange)
            raise
        response = await self.screen.completion(exchange, response)
        decoded = [decode_image(image.b64_json or "") for image in response.data]
        pictures = [(data, image_type(data) or "application/octet-stream") for data in decoded]
        exchange.completion_texts = image_texts(
            pictures,
            revised_prompts=[i.revised_prompt for i in response.data if i.revised_prompt],
            kept=self.runtime.settings.gateway.monitored_images,
        )
        if request.wants_url:
            links = await asyncio.to_thread(self._keep_images, caller, pictures, link_base)
            for image, link in zip(response.data, links, strict=True):
                image.b64_json, image.url = None, link
        self.recorder.record(exchange)
        return response

    def _keep_images(self, caller: Caller, pictures: list[tuple[bytes, str]], link_base: str) -> list[str]:
        """Seal each image in the caller's region and return the links that serve it."""
        region = self.runtime.region_of(caller.org_id)
        base = (region.settings.public_url or link_base).rstrip("/")
        with region.db.session() as db:
            kept = [
                images.keep(
                    self.runtime,
                    db,
                    org_id=caller.org_id,
                    resource_id=caller.resource_id,
                    data=data,
                    content_type=media_type,
                )
                for data, media_type in pictures
            ]
            return [f"{base}{IMAGE_LINK_PATH}{image.id}" for image in kept]

    def open_image(self, caller: Caller, image_id: str) -> tuple[bytes, str]:
        """A generated image's bytes and type, for a key of the resource that generated it."""
        with self.runtime.region_session(caller.org_id) as db:
            found = images.open_image(
                self.runtime, db, org_id=caller.org_id, resource_id=caller.resource_id, image_id=image_id
            )
        if found is None:
            raise NotFoundError(
                "No such image: it has expired, or it was never generated with this key's resource.",
                param="image_id",
                code="image_not_found",
            )
        return found

    async def transcribe(
        self,
        caller: Caller,
        request: TranscriptionRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
    ) -> Transcription:
        """Speech to text. The audio lives in memory for this call only; the transcript is screened like a
        completion and recorded like one (the `prompt`, if any, like a prompt)."""
        exchange = self._exchange(caller, deployment or request.model, "transcription", request_id)
        config, provider = await self._for(caller, exchange.deployment, "supports_transcription")
        await self._screened(exchange, request)
        result = await provider.transcribe(request, deployment=config)
        exchange.completion_texts = [result.text]
        try:
            result = await self.screen.completion(exchange, result)
        finally:
            self.recorder.record(exchange)
        return result

    def _exchange(
        self,
        caller: Caller,
        deployment: str,
        operation: str,
        request_id: str | None,
        *,
        streamed: bool = False,
    ) -> Exchange:
        exchange = Exchange(caller=caller, deployment=deployment, operation=operation, streamed=streamed)
        if request_id is not None:
            exchange.request_id = request_id
        return exchange

    async def _recorded(self, exchange: Exchange, chunks: AsyncIterator[T]) -> AsyncIterator[T]:
        """Pass a stream through and record the exchange once it has ended, however it ended."""
        streamed = StreamText()
        try:
            async for chunk in chunks:
                streamed.add(chunk)
                yield chunk
        finally:
            exchange.completion_texts = exchange.completion_texts or streamed.texts()
            self.recorder.record(exchange)

    async def _grounded(self, exchange: Exchange, request: ChatRequest) -> Grounded | None:
        """Retrieval for `data_sources` (None without); the exchange keeps the prompt the caller sent."""
        return await self.grounding.ground(exchange, request) if request.data_sources else None

    async def _screened(self, exchange: Exchange, request: Any) -> None:
        """Screen the prompt, its texts on the exchange; a refused prompt is recorded too (for flagging)."""
        exchange.prompt_texts = exchange.prompt_texts or request_texts(request)
        try:
            await self.screen.prompt(exchange, request)
        except GatewayError as exc:
            if exc.code == "content_filter":
                exchange.verdicts.setdefault("filtered", True)
            self.recorder.record(exchange)
            raise

    @staticmethod
    def _capture(exchange: Exchange, response: Any) -> None:
        """Keep the answer's texts and usage on the exchange for the recorder (in memory only)."""
        exchange.completion_texts = exchange.completion_texts or response_texts(response)
        exchange.usage = exchange.usage or usage_of(response)

    async def _for(self, caller: Caller, name: str, capability: str) -> tuple[DeploymentConfig, Provider]:
        config = await self.resolve(caller, name)
        # Checked on the class, so a refusal never waits for a provider to load its models.
        if not getattr(self.registry.get(config.provider), capability):
            raise UnsupportedOperationError(
                f"The model '{name}' does not support {_OPERATIONS[capability]}.", param="model"
            )
        return config, protect(await self.provider(config.provider), config)

    def describe(self, provider_name: str) -> dict[str, Any]:
        """What `/v1/models` says about a provider: its capabilities and stated limits."""
        cls = self.registry.get(provider_name)
        return {
            "provider": provider_name,
            "streaming": cls.supports_streaming,
            "completions": cls.supports_completions,
            "embeddings": cls.supports_embeddings,
            "images": cls.supports_images,
            "transcription": cls.supports_transcription,
            **cls.metadata,
        }
