"""The one provider interface every backend implements, built-in or third-party."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutela.gateway.wire.aggregate import collect_chat, collect_completion
from tutela.gateway.wire.audio import Transcription, TranscriptionRequest
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse
from tutela.gateway.wire.completions import CompletionChunk, CompletionRequest, CompletionResponse
from tutela.gateway.wire.embeddings import EmbeddingRequest, EmbeddingResponse
from tutela.gateway.wire.exceptions import ProviderConfigurationError, UnsupportedOperationError
from tutela.gateway.wire.images import ImageRequest, ImageResponse

T = TypeVar("T")


class ProviderOptions(BaseModel):
    """Base of each provider's deployment options; unknown keys are config typos, so forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DeploymentConfig(BaseModel):
    """One model name the gateway serves, and which provider serves it with which options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)
    # Other deployments of the same resource this one spreads over (name, weight) and falls back to.
    targets: tuple[tuple[str, int], ...] = ()
    fallbacks: tuple[str, ...] = ()


class Provider(ABC):
    """A backend that answers chat (always), and completions/embeddings/images/transcriptions if it says so.

    Providers are long-lived and shared by all deployments naming them: per-deployment
    settings arrive with each call as ``deployment``, validated against ``Options``.
    Every method may raise ``GatewayError`` subclasses; streaming methods raise them
    from the iterator, before the first chunk or mid-stream.
    """

    name: ClassVar[str]
    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    supports_streaming: ClassVar[bool] = True
    supports_completions: ClassVar[bool] = False
    supports_embeddings: ClassVar[bool] = False
    supports_images: ClassVar[bool] = False
    supports_transcription: ClassVar[bool] = False
    # What `/v1/models` tells clients about the model: description, limitations, languages...
    metadata: ClassVar[dict[str, Any]] = {}

    async def start(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Acquire long-lived resources (connection pools, models); default: none."""

    async def close(self) -> None:  # noqa: B027 - optional hook, deliberately not abstract
        """Release what ``start`` acquired; default: none."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @classmethod
    def parse_options(cls, deployment: DeploymentConfig) -> ProviderOptions:
        """Validate ``deployment.options``; call at config load so typos fail at startup."""
        try:
            return cls.Options.model_validate(deployment.options)
        except ValidationError as exc:
            # Input values are left out, and the cause dropped as its text shows them: they may hold a key.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            )
            raise ProviderConfigurationError(
                f"deployment {deployment.name!r} has invalid options for provider {cls.name!r}: {problems}"
            ) from None

    @abstractmethod
    def chat(self, request: ChatRequest, *, deployment: DeploymentConfig) -> AsyncIterator[ChatChunk]:
        """Stream the chat completion; non-streaming callers use ``collect_chat``.

        Implement as ``async def chat(...)`` with ``yield``. Honour ``request.n``,
        ``request.include_usage`` (end with a usage-only chunk) and set ``model`` to ``request.model``.
        """

    async def complete(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> AsyncIterator[CompletionChunk]:
        """Stream a legacy text completion (only if ``supports_completions``)."""
        raise UnsupportedOperationError(
            f"The model '{request.model}' does not support the completions endpoint.", param="model"
        )
        yield  # pragma: no cover - makes this an async generator like the overrides

    async def embed(self, request: EmbeddingRequest, *, deployment: DeploymentConfig) -> EmbeddingResponse:
        """Embed the inputs (only if ``supports_embeddings``), in the requested encoding."""
        raise UnsupportedOperationError(
            f"The model '{request.model}' does not support embeddings.", param="model"
        )

    async def generate_images(self, request: ImageRequest, *, deployment: DeploymentConfig) -> ImageResponse:
        """Generate images (only if ``supports_images``), always as ``b64_json``: links are Tutela's own."""
        raise UnsupportedOperationError(
            f"The model '{request.model}' does not generate images.", param="model"
        )

    async def transcribe(
        self, request: TranscriptionRequest, *, deployment: DeploymentConfig
    ) -> Transcription:
        """Transcribe the request's audio (only if ``supports_transcription``); verbose, with segments."""
        raise UnsupportedOperationError(
            f"The model '{request.model}' does not support audio transcriptions.", param="model"
        )

    async def chat_response(self, request: ChatRequest, *, deployment: DeploymentConfig) -> ChatResponse:
        """Run ``chat`` to the end and return the whole ``chat.completion``."""
        return await collect_chat(self.chat(request, deployment=deployment))

    async def completion_response(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> CompletionResponse:
        """Run ``complete`` to the end and return the whole ``text_completion``."""
        return await collect_completion(self.complete(request, deployment=deployment))


async def start_stream(stream: AsyncIterator[T]) -> AsyncIterator[T]:
    """Pull the first item now, so failures before any byte is sent surface as a plain HTTP error.

    Use it before committing to a 200 streaming response; the result replays that item.
    """
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        first_missing = True
    else:
        first_missing = False
    return _replay(None if first_missing else (first,), stream)


async def _replay(head: tuple[T] | None, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    try:
        if head is None:
            return
        yield head[0]
        async for item in rest:
            yield item
    finally:
        # Closing the replay must close the upstream generator too (and its connection).
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()
