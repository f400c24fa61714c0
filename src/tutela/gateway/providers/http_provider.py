"""Behaviour shared by providers that relay to an OpenAI-protocol HTTP upstream."""

from __future__ import annotations

import dataclasses
import json
from abc import abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import ValidationError

from tutela.gateway.providers.base import DeploymentConfig, Provider
from tutela.gateway.providers.upstream import FilePart, UpstreamClient, UpstreamRequest
from tutela.gateway.providers.upstream_errors import scrub, upstream_error_fields
from tutela.gateway.wire.audio import Transcription, TranscriptionRequest
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse, chunk_from_response
from tutela.gateway.wire.common import ResponseModel, new_id, now
from tutela.gateway.wire.completions import CompletionChunk, CompletionRequest, CompletionResponse
from tutela.gateway.wire.embeddings import EmbeddingRequest, EmbeddingResponse, with_encoding
from tutela.gateway.wire.exceptions import UpstreamResponseError, UpstreamStreamError
from tutela.gateway.wire.images import ImageRequest, ImageResponse, decode_image, image_type

Operation = Literal[
    "chat/completions", "completions", "embeddings", "images/generations", "audio/transcriptions"
]
# Response formats that need the upstream's segments; the others only need its text.
_SEGMENTED = ("srt", "vtt", "verbose_json")
ChunkT = TypeVar("ChunkT", ChatChunk, CompletionChunk)
ResponseT = TypeVar("ResponseT", bound=ResponseModel)


class _Stamp:
    """Gives every chunk of one response the same id, created time and client-facing model name."""

    def __init__(self, model: str, prefix: str) -> None:
        self.model = model
        self.prefix = prefix
        self.id = ""
        self.created = 0

    def apply(self, chunk: ChunkT) -> ChunkT:
        # Azure sends "" ids and 0 timestamps on some chunks; clients expect them stable.
        self.id = self.id or chunk.id or new_id(self.prefix)
        self.created = self.created or chunk.created or now()
        chunk.id, chunk.created, chunk.model = self.id, self.created, self.model
        return chunk


class HTTPProvider(Provider):
    """Relays requests to an upstream speaking the OpenAI protocol; subclasses say where and how to auth."""

    supports_streaming: ClassVar[bool] = True
    supports_completions: ClassVar[bool] = True
    supports_embeddings: ClassVar[bool] = True
    supports_images: ClassVar[bool] = True
    supports_transcription: ClassVar[bool] = True

    def __init__(self, *, upstream: UpstreamClient | None = None) -> None:
        # A shared client (injected) is started and closed by its owner, not by us.
        self._owns_upstream = upstream is None
        self.upstream = upstream if upstream is not None else UpstreamClient()

    async def start(self) -> None:
        """Open the connection pool if this provider owns it."""
        if self._owns_upstream:
            await self.upstream.start()

    async def close(self) -> None:
        """Close the connection pool if this provider owns it."""
        if self._owns_upstream:
            await self.upstream.close()

    @abstractmethod
    def prepare(
        self, deployment: DeploymentConfig, operation: Operation, body: dict[str, Any]
    ) -> UpstreamRequest:
        """Build the upstream call: URL, auth headers, body rewrites, timeouts and retries."""

    def keep_chunk(self, chunk: ChatChunk | CompletionChunk) -> bool:
        """Whether to forward an upstream chunk; override to drop vendor-only chunks."""
        return True

    async def chat(self, request: ChatRequest, *, deployment: DeploymentConfig) -> AsyncIterator[ChatChunk]:
        """Relay a chat completion, streamed from the upstream if the client streams."""
        call = self.prepare(deployment, "chat/completions", request.to_upstream())
        stamp = _Stamp(request.model, "chatcmpl")
        if request.stream:
            async with aclosing(self._relay_stream(call, ChatChunk, stamp)) as chunks:
                async for chunk in chunks:
                    yield chunk
            return
        response = _validate(ChatResponse, await self.upstream.post_json(call))
        yield stamp.apply(chunk_from_response(response))

    async def complete(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> AsyncIterator[CompletionChunk]:
        """Relay a legacy completion."""
        call = self.prepare(deployment, "completions", request.to_upstream())
        stamp = _Stamp(request.model, "cmpl")
        if request.stream:
            async with aclosing(self._relay_stream(call, CompletionResponse, stamp)) as chunks:
                async for chunk in chunks:
                    yield chunk
            return
        yield stamp.apply(_validate(CompletionResponse, await self.upstream.post_json(call)))

    async def embed(self, request: EmbeddingRequest, *, deployment: DeploymentConfig) -> EmbeddingResponse:
        """Relay an embeddings call; floats are asked for upstream, since every server supports them."""
        body = request.to_upstream()
        body["encoding_format"] = "float"
        call = self.prepare(deployment, "embeddings", body)
        response = _validate(EmbeddingResponse, await self.upstream.post_json(call))
        response.model = request.model
        return with_encoding(response, request.encoding_format)

    async def generate_images(self, request: ImageRequest, *, deployment: DeploymentConfig) -> ImageResponse:
        """Relay an image generation, asking the upstream for the image data itself (never its links)."""
        body = request.to_upstream()
        body["response_format"] = "b64_json"
        call = self.prepare(deployment, "images/generations", body)
        response = _validate(ImageResponse, await self.upstream.post_json(call))
        if not response.data:
            raise UpstreamResponseError("The upstream returned no image.")
        for image in response.data:
            _check_image(image.b64_json)
            image.url = None
        response.created = response.created or now()
        return response

    async def transcribe(
        self, request: TranscriptionRequest, *, deployment: DeploymentConfig
    ) -> Transcription:
        """Relay the audio as a multipart form; the answer is always asked for as JSON, so the gateway
        can screen the text and render the client's format itself."""
        wanted = "verbose_json" if request.response_format in _SEGMENTED else "json"
        body: dict[str, Any] = {"model": request.model, **request.form_fields(), "response_format": wanted}
        call = self.prepare(deployment, "audio/transcriptions", body)
        audio = FilePart("file", request.file, filename=request.filename)
        call = dataclasses.replace(call, files=(audio,))
        return _validate(Transcription, await self.upstream.post_json(call))

    async def _relay_stream(
        self, call: UpstreamRequest, model: type[ChunkT], stamp: _Stamp
    ) -> AsyncGenerator[ChunkT, None]:
        finished = False
        async with aclosing(self.upstream.stream_events(call)) as events:
            async for event in events:
                if event.data.strip() == "[DONE]":
                    return
                data = _decode(event.data)
                if event.event == "error" or ("error" in data and not data.get("choices")):
                    message, _, _ = upstream_error_fields(event.data)
                    raise UpstreamStreamError(
                        f"The upstream failed mid-stream: {scrub(message, call.secrets) or 'unknown error'}"
                    )
                chunk = _validate(model, data)
                if not self.keep_chunk(chunk):
                    continue
                finished = finished or any(choice.finish_reason for choice in chunk.choices)
                yield stamp.apply(chunk)
        # A clean close without [DONE] is fine (older llama.cpp) only once a finish_reason was sent.
        if not finished:
            raise UpstreamStreamError("The upstream stream ended before the response was complete.")


def _decode(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UpstreamResponseError("The upstream sent a malformed stream event.") from exc
    if not isinstance(data, dict):
        raise UpstreamResponseError("The upstream sent a stream event that is not a JSON object.")
    return data


def _check_image(b64: str | None) -> None:
    if not b64:
        raise UpstreamResponseError("The upstream returned an image without its data ('b64_json').")
    try:
        data = decode_image(b64)
    except ValueError:
        raise UpstreamResponseError("The upstream returned image data that is not base64.") from None
    if image_type(data) is None:
        raise UpstreamResponseError("The upstream returned data that is not a PNG, JPEG, GIF or WebP image.")


def _validate(model: type[ResponseT], data: Any) -> ResponseT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UpstreamResponseError("The upstream response does not match the OpenAI format.") from exc
