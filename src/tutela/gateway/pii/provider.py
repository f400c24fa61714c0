"""The seam: a deployment set to ``pii: pseudonymise`` has its provider wrapped, so nothing else changes.

    request ──pseudonymise──▶ upstream provider ──answer──▶ restore ──▶ screen, recorder, client

Content safety and abuse monitoring see the real texts (they run inside Tutela); only the upstream sees
placeholders. The built-in model never leaves the machine, and its options do not accept ``pii`` at all.
Embeddings, image prompts and audio are passed through: a vector of placeholders would not be the vector
of the text, and audio cannot be rewritten.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

from tutela.gateway.pii import rewrite
from tutela.gateway.pii.detectors import DETECTORS, Detector
from tutela.gateway.pii.pseudonyms import Pseudonyms
from tutela.gateway.providers.base import DeploymentConfig, Provider
from tutela.gateway.wire.audio import Transcription, TranscriptionRequest
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse
from tutela.gateway.wire.completions import CompletionChunk, CompletionRequest, CompletionResponse
from tutela.gateway.wire.embeddings import EmbeddingRequest, EmbeddingResponse
from tutela.gateway.wire.images import ImageRequest, ImageResponse

PiiMode = Literal["off", "pseudonymise"]


class PseudonymisingProvider(Provider):
    """Another provider, with each request's values swapped for placeholders and back."""

    name = "pii"

    def __init__(self, inner: Provider, detectors: tuple[Detector, ...] = DETECTORS) -> None:
        self.inner = inner
        self.detectors = detectors  # the organization's: its region's national ids, its people's names

    async def chat(self, request: ChatRequest, *, deployment: DeploymentConfig) -> AsyncIterator[ChatChunk]:
        """Stream the inner provider's answer to the pseudonymised request, restored."""
        pseudonyms = Pseudonyms(self.detectors)
        outgoing = rewrite.chat_request(request, pseudonyms)
        async for chunk in rewrite.chat_stream(self.inner.chat(outgoing, deployment=deployment), pseudonyms):
            yield chunk

    async def chat_response(self, request: ChatRequest, *, deployment: DeploymentConfig) -> ChatResponse:
        """The inner provider's whole answer to the pseudonymised request, restored."""
        pseudonyms = Pseudonyms(self.detectors)
        outgoing = rewrite.chat_request(request, pseudonyms)
        return rewrite.chat_response(
            await self.inner.chat_response(outgoing, deployment=deployment), pseudonyms
        )

    async def complete(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> AsyncIterator[CompletionChunk]:
        """Stream a legacy completion of the pseudonymised prompt, restored."""
        pseudonyms = Pseudonyms(self.detectors)
        outgoing = rewrite.completion_request(request, pseudonyms)
        chunks = self.inner.complete(outgoing, deployment=deployment)
        async for chunk in rewrite.completion_stream(chunks, pseudonyms):
            yield chunk

    async def completion_response(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> CompletionResponse:
        """A whole legacy completion of the pseudonymised prompt, restored."""
        pseudonyms = Pseudonyms(self.detectors)
        outgoing = rewrite.completion_request(request, pseudonyms)
        response = await self.inner.completion_response(outgoing, deployment=deployment)
        return rewrite.completion_response(response, pseudonyms)

    async def embed(self, request: EmbeddingRequest, *, deployment: DeploymentConfig) -> EmbeddingResponse:
        """Embeddings as the inner provider computes them."""
        return await self.inner.embed(request, deployment=deployment)

    async def generate_images(self, request: ImageRequest, *, deployment: DeploymentConfig) -> ImageResponse:
        """Images as the inner provider draws them: a prompt is a picture's description, rarely a contact
        detail, and no text comes back to restore."""
        return await self.inner.generate_images(request, deployment=deployment)

    async def transcribe(
        self, request: TranscriptionRequest, *, deployment: DeploymentConfig
    ) -> Transcription:
        """Transcriptions as the inner provider makes them: audio cannot be pseudonymised."""
        return await self.inner.transcribe(request, deployment=deployment)


def wanted(deployment: DeploymentConfig) -> bool:
    """Whether the deployment's options say ``pii: pseudonymise``."""
    return deployment.options.get("pii") == "pseudonymise"
