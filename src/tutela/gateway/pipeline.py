"""The gateway's request pipeline, one explicit sequence for every operation:

    authenticate (access.py) → resolve deployment → admit (rate limits) → screen prompt
    → [ground on customer data] → provider → screen completion (annotate) → settle (token limits)
    → record (abuse monitoring)

Images and transcriptions take the same path; an image asked for as a link is sealed in the organization's
region (images/) and served only to keys of the resource that generated it.

`limits`, `screen` and `recorder` are the seams of rate limits, content safety and abuse monitoring
(exchange.py); grounding on customer data (`data_sources`, grounding/) runs after the caller's prompt is
screened and recorded as sent, so retrieved documents reach the model but never the monitoring store. A
deployment set to `pii: pseudonymise` has its provider wrapped (pii/provider.py): the upstream sees
placeholders, every other step the real texts. A deployment with targets or fallbacks is answered by the first
target that can (routing.py). The product's own
AI use (authoring) calls the same `Gateway` methods in process, so every guarantee applies to it too.
The gateway keeps no prompt or completion: nothing here logs or stores content.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from tutela.errors import NotFound
from tutela.gateway.access import AccessCache, Caller
from tutela.gateway.deployments import service as deployments
from tutela.gateway.deployments.models import Deployment
from tutela.gateway.exchange import Exchange, Limits, Recorder, Screen
from tutela.gateway.fine_tuning.service import FineTuning
from tutela.gateway.grounding.service import Grounded, Grounding
from tutela.gateway.images import service as images
from tutela.gateway.limits.limiter import Limiter
from tutela.gateway.monitoring.recorder import recorder_for
from tutela.gateway.monitoring.texts import (
    StreamText,
    image_texts,
    request_texts,
    response_texts,
    usage_of,
)
from tutela.gateway.pii.profiles import PiiProfiles
from tutela.gateway.pii.provider import PseudonymisingProvider, wanted
from tutela.gateway.providers.base import DeploymentConfig, Provider, start_stream
from tutela.gateway.providers.registry import ProviderRegistry, default_registry
from tutela.gateway.routing import TARGET_HEADER, CircuitBreaker, order, worth_another_target
from tutela.gateway.safety.filtering_exceptions import UpstreamContentFilterError
from tutela.gateway.safety.screen import ContentScreen
from tutela.gateway.usage.meter import meter_for
from tutela.gateway.wire.audio import Transcription, TranscriptionRequest
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse, chunk_from_response
from tutela.gateway.wire.completions import CompletionChunk, CompletionRequest, CompletionResponse
from tutela.gateway.wire.embeddings import EmbeddingRequest, EmbeddingResponse
from tutela.gateway.wire.exceptions import (
    GatewayError,
    NotFoundError,
    RateLimitError,
    UnsupportedOperationError,
)
from tutela.gateway.wire.images import ImageRequest, ImageResponse, decode_image, image_type
from tutela.runtime import Runtime
from tutela.tracing import Span

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
        # The seams of rate limits, content safety and abuse monitoring (see exchange.py).
        self.limits: Limits = Limiter(runtime)  # nothing counted for callers without limits
        self.metrics = runtime.metrics
        self.tracing = runtime.tracing  # spans of ids and timings, never content (tracing.py)
        self.breaker = CircuitBreaker()  # per target, this process
        self.usage = meter_for(runtime)  # daily aggregates, written in the background
        self.screen: Screen = ContentScreen(runtime)  # content safety: tutela.gateway.safety
        self.recorder: Recorder = recorder_for(runtime)  # abuse monitoring, off the request path
        self.grounding = Grounding(runtime, self.screen)  # "on your data": data_sources on chat
        self.fine_tuning = FineTuning(runtime, self.registry)  # jobs trained by the customer's upstream
        self.pii = PiiProfiles(runtime)  # what pseudonymisation looks for, per organization
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
        await self.fine_tuning.close()
        await self.limits.close()

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
        headers: dict[str, str] | None = None,
    ) -> ChatResponse:
        """A whole chat completion."""
        exchange = self._exchange(caller, deployment or request.model, "chat", request_id, headers)
        config = await self.resolve(caller, exchange.deployment)
        await self._admitted_and_screened(exchange, request)
        grounded = await self._grounded(exchange, request)
        if grounded is not None and grounded.reply is not None:
            answer = grounded.reply
        else:
            asked = request if grounded is None else grounded.request
            answer = await self._routed(exchange, config, lambda p, c: p.chat_response(asked, deployment=c))
        response = await self._screen_completion(exchange, answer)
        if grounded is not None:
            grounded.annotate(response)
        await self._finish(exchange, response)
        return response

    async def chat_stream(
        self,
        caller: Caller,
        request: ChatRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[ChatChunk]:
        """A streamed chat completion; errors before the first chunk are raised here, not mid-stream."""
        exchange = self._exchange(
            caller, deployment or request.model, "chat", request_id, headers, streamed=True
        )
        config = await self.resolve(caller, exchange.deployment)
        await self._admitted_and_screened(exchange, request)
        grounded = await self._grounded(exchange, request)
        if grounded is not None and grounded.reply is not None:
            started: AsyncIterator[ChatChunk] = _one(chunk_from_response(grounded.reply))
        else:
            asked = request if grounded is None else grounded.request
            started = await self._routed(
                exchange, config, lambda p, c: start_stream(p.chat(asked, deployment=c))
            )
        chunks = self.screen.stream(exchange, started)
        if grounded is not None:
            chunks = grounded.annotate_stream(chunks)
        return await start_stream(self._recorded(exchange, chunks))

    async def complete(
        self,
        caller: Caller,
        request: CompletionRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> CompletionResponse:
        """A whole legacy completion."""
        exchange = self._exchange(caller, deployment or request.model, "completion", request_id, headers)
        config = await self._for(caller, exchange.deployment, "supports_completions")
        await self._admitted_and_screened(exchange, request)
        response = await self._routed(
            exchange,
            config,
            lambda p, c: p.completion_response(request, deployment=c),
            capability="supports_completions",
        )
        response = await self._screen_completion(exchange, response)
        await self._finish(exchange, response)
        return response

    async def complete_stream(
        self,
        caller: Caller,
        request: CompletionRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[CompletionChunk]:
        """A streamed legacy completion."""
        exchange = self._exchange(
            caller, deployment or request.model, "completion", request_id, headers, streamed=True
        )
        config = await self._for(caller, exchange.deployment, "supports_completions")
        await self._admitted_and_screened(exchange, request)
        started = await self._routed(
            exchange,
            config,
            lambda p, c: start_stream(p.complete(request, deployment=c)),
            capability="supports_completions",
        )
        return await start_stream(self._recorded(exchange, self.screen.stream(exchange, started)))

    async def embed(
        self,
        caller: Caller,
        request: EmbeddingRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> EmbeddingResponse:
        """Embeddings of the inputs."""
        exchange = self._exchange(caller, deployment or request.model, "embedding", request_id, headers)
        config = await self._for(caller, exchange.deployment, "supports_embeddings")
        await self._admitted_and_screened(exchange, request)
        response = await self._routed(
            exchange,
            config,
            lambda p, c: p.embed(request, deployment=c),
            capability="supports_embeddings",
        )
        await self._finish(exchange, response)
        return response

    async def generate_images(
        self,
        caller: Caller,
        request: ImageRequest,
        *,
        deployment: str | None = None,
        request_id: str | None = None,
        link_base: str = "",
        headers: dict[str, str] | None = None,
    ) -> ImageResponse:
        """Generated images, inline (`b64_json`) or as links to Tutela's own sealed, expiring copies.

        `link_base` is where the caller reached the gateway; a region's configured `public_url` wins.
        """
        exchange = self._exchange(caller, deployment or request.model, "image", request_id, headers)
        config = await self._for(caller, exchange.deployment, "supports_images")
        await self._admitted_and_screened(exchange, request)
        try:
            response = await self._routed(
                exchange,
                config,
                lambda p, c: p.generate_images(request, deployment=c),
                capability="supports_images",
            )
        except UpstreamContentFilterError as exc:
            # The upstream's own verdict, for monitoring's flags (its severities count like ours).
            exchange.verdicts.update(filtered=True, upstream=exc.content_filter_result)
            await self._settle(exchange)
            raise
        response = await self._screen_completion(exchange, response)
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
        await self._settle(exchange)
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
        headers: dict[str, str] | None = None,
    ) -> Transcription:
        """Speech to text. The audio lives in memory for this call only; the transcript is screened like a
        completion and recorded like one (the `prompt`, if any, like a prompt)."""
        exchange = self._exchange(caller, deployment or request.model, "transcription", request_id, headers)
        config = await self._for(caller, exchange.deployment, "supports_transcription")
        await self._admitted_and_screened(exchange, request)
        result = await self._routed(
            exchange,
            config,
            lambda p, c: p.transcribe(request, deployment=c),
            capability="supports_transcription",
        )
        exchange.completion_texts = [result.text]
        try:
            result = await self._screen_completion(exchange, result)
        finally:
            await self._settle(exchange)
        return result

    async def _routed(
        self,
        exchange: Exchange,
        config: DeploymentConfig,
        call: Callable[[Provider, DeploymentConfig], Awaitable[T]],
        *,
        capability: str | None = None,
    ) -> T:
        """Call the deployment's targets in order until one answers (routing.py); name it in a header."""
        caller = exchange.caller
        names = order(config) if config.targets or config.fallbacks else [config.name]
        last: GatewayError | None = None
        for target in self.breaker.usable([(caller.org_id, caller.resource_id, n) for n in names]):
            try:
                chosen = config if target[2] == config.name else await self.resolve(caller, target[2])
            except NotFoundError:
                continue  # a target deleted since it was named
            if capability is not None and not getattr(self.registry.get(chosen.provider), capability):
                continue
            provider = await self.provider(chosen.provider)
            if wanted(chosen):
                provider = PseudonymisingProvider(
                    provider,
                    await self.pii.detectors(caller.org_id),
                    org_id=caller.org_id,
                    request_id=exchange.request_id,
                    open_vaults=self.metrics.pii_vaults,
                )
            try:
                with self.tracing.span("gateway.upstream") as span:
                    span.set("tutela.request_id", exchange.request_id)
                    span.set("tutela.target", chosen.name)
                    span.set("tutela.provider", chosen.provider)
                    span.set("tutela.streamed", exchange.streamed)
                    answer = await call(provider, chosen)
            except GatewayError as exc:
                self.metrics.upstream_failures.labels(chosen.provider, exc.code).inc()
                if not worth_another_target(exc):
                    raise
                self.breaker.failed(target)
                last = exc
                continue
            self.breaker.succeeded(target)
            exchange.response_headers[TARGET_HEADER] = chosen.name
            exchange.model = str(chosen.options.get("model") or chosen.provider)
            return answer
        if last is None:
            raise NotFoundError(
                f"No target of the model '{config.name}' can serve this request.", param="model"
            )
        raise last

    def _exchange(
        self,
        caller: Caller,
        deployment: str,
        operation: str,
        request_id: str | None,
        headers: dict[str, str] | None,
        *,
        streamed: bool = False,
    ) -> Exchange:
        exchange = Exchange(
            caller=caller,
            deployment=deployment,
            operation=operation,
            request_id=request_id or f"req_{uuid.uuid4().hex}",
            streamed=streamed,
        )
        if headers is not None:
            exchange.response_headers = headers
        return exchange

    async def _recorded(self, exchange: Exchange, chunks: AsyncIterator[T]) -> AsyncIterator[T]:
        """Pass a stream through and record the exchange once it has ended, however it ended."""
        streamed = StreamText()
        try:
            async for chunk in chunks:
                streamed.add(chunk)
                if getattr(chunk, "usage", None) is not None:
                    exchange.usage = usage_of(chunk)
                yield chunk
        finally:
            exchange.completion_texts = exchange.completion_texts or streamed.texts()
            await self._settle(exchange)

    async def _admitted_and_screened(self, exchange: Exchange, request: Any) -> None:
        """Count the request against the caller's limits (429 when one is full), then screen it."""
        try:
            await self.limits.admit(exchange)
        except RateLimitError as exc:
            self.metrics.rate_limited.labels(exc.code).inc()
            raise
        await self._screened(exchange, request)

    async def _finish(self, exchange: Exchange, response: Any) -> None:
        """Keep the answer's texts and usage, then settle."""
        self._capture(exchange, response)
        await self._settle(exchange)

    async def _settle(self, exchange: Exchange) -> None:
        """Count the answer's tokens against the limits and in the metrics, then record the exchange."""
        try:
            await self.limits.settle(exchange)
        finally:
            with self.tracing.span("gateway.monitoring") as span:
                span.set("tutela.request_id", exchange.request_id)
                span.set("tutela.operation", exchange.operation)
                span.set("tutela.deployment", exchange.deployment)
                span.set("tutela.prompt_tokens", exchange.usage.get("prompt_tokens"))
                span.set("tutela.completion_tokens", exchange.usage.get("completion_tokens"))
                self.recorder.record(exchange)
            self._measure(exchange)

    def _measure(self, exchange: Exchange) -> None:
        metrics = self.metrics
        metrics.gateway_requests.labels(exchange.operation, "true" if exchange.streamed else "false").inc()
        for kind in ("prompt_tokens", "completion_tokens"):
            if exchange.usage.get(kind):
                metrics.tokens.labels(kind.removesuffix("_tokens")).inc(exchange.usage[kind])
        filtered = any(
            any(isinstance(v, dict) and v.get("filtered") for v in results.values())
            for results in exchange.verdicts.get("completion_filter_results") or ()
        )
        if filtered:
            metrics.filtered.labels("completion").inc()
        self.usage.count(exchange, model=exchange.model, filtered=filtered)

    async def _grounded(self, exchange: Exchange, request: ChatRequest) -> Grounded | None:
        """Retrieval for `data_sources` (None without); the exchange keeps the prompt the caller sent."""
        return await self.grounding.ground(exchange, request) if request.data_sources else None

    async def _screened(self, exchange: Exchange, request: Any) -> None:
        """Screen the prompt, its texts on the exchange; a refused prompt is recorded too (for flagging)."""
        exchange.prompt_texts = exchange.prompt_texts or request_texts(request)
        try:
            with self._filter_span(exchange, "prompt"):
                await self.screen.prompt(exchange, request)
        except GatewayError as exc:
            if exc.code == "content_filter":
                exchange.verdicts.setdefault("filtered", True)
                self.metrics.filtered.labels("prompt").inc()
                self.usage.count(exchange, model="", filtered=True)
            self.recorder.record(exchange)
            raise

    async def _screen_completion(self, exchange: Exchange, answer: T) -> T:
        """Screen a whole answer (a streamed one is screened window by window in `screen.stream`)."""
        with self._filter_span(exchange, "completion"):
            return await self.screen.completion(exchange, answer)

    def _filter_span(self, exchange: Exchange, direction: str) -> AbstractContextManager[Span]:
        return self.tracing.span(
            "gateway.filter",
            **{"tutela.request_id": exchange.request_id, "tutela.filter.direction": direction},
        )

    @staticmethod
    def _capture(exchange: Exchange, response: Any) -> None:
        """Keep the answer's texts and usage on the exchange for the recorder (in memory only)."""
        exchange.completion_texts = exchange.completion_texts or response_texts(response)
        exchange.usage = exchange.usage or usage_of(response)

    async def _for(self, caller: Caller, name: str, capability: str) -> DeploymentConfig:
        """The deployment, if its provider can do the operation (each routed target is checked again)."""
        config = await self.resolve(caller, name)
        # Checked on the class, so a refusal never waits for a provider to load its models.
        if not getattr(self.registry.get(config.provider), capability):
            raise UnsupportedOperationError(
                f"The model '{name}' does not support {_OPERATIONS[capability]}.", param="model"
            )
        return config

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
