"""The seam: a deployment set to ``pii: pseudonymise`` has its provider wrapped, so nothing else changes.

    request ──pseudonymise──▶ upstream provider ──answer──▶ restore ──▶ screen, recorder, client

Each call opens the request's vault (vault.py) — the mapping sealed under a key of its own — and destroys it
when the call ends, however it ends: answered, failed upstream, or a stream the client walked away from.
Content safety and abuse monitoring see the real texts (they run inside Tutela); only the upstream sees
placeholders. The built-in model never leaves the machine, and its options do not accept ``pii`` at all.
Embeddings, image prompts and audio are passed through: a vector of placeholders would not be the vector
of the text, and audio cannot be rewritten.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Literal

from prometheus_client import Gauge

from tutela.gateway.pii import rewrite
from tutela.gateway.pii.detectors import DETECTORS, Detector
from tutela.gateway.pii.pseudonyms import Pseudonyms
from tutela.gateway.pii.vault import Vault
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

    def __init__(
        self,
        inner: Provider,
        detectors: tuple[Detector, ...] = DETECTORS,
        *,
        org_id: str,
        request_id: str,
        open_vaults: Gauge,
    ) -> None:
        self.inner = inner
        self.detectors = detectors  # the organization's: its region's national ids, its people's names
        self.org_id = org_id
        self.request_id = request_id
        self.open_vaults = open_vaults  # tutela_gateway_pii_vaults_open: zero between requests

    @contextmanager
    def _pseudonyms(self) -> Iterator[Pseudonyms]:
        """This call's pseudonyms over a fresh vault, destroyed on the way out whatever happened."""
        vault = Vault(org_id=self.org_id, request_id=self.request_id)
        self.open_vaults.inc()
        try:
            yield Pseudonyms(vault, self.detectors)
        finally:
            vault.destroy()
            self.open_vaults.dec()

    async def chat(self, request: ChatRequest, *, deployment: DeploymentConfig) -> AsyncIterator[ChatChunk]:
        """Stream the inner provider's answer to the pseudonymised request, restored."""
        with self._pseudonyms() as pseudonyms:
            outgoing = rewrite.chat_request(request, pseudonyms)
            chunks = self.inner.chat(outgoing, deployment=deployment)
            async for chunk in rewrite.chat_stream(chunks, pseudonyms):
                yield chunk

    async def chat_response(self, request: ChatRequest, *, deployment: DeploymentConfig) -> ChatResponse:
        """The inner provider's whole answer to the pseudonymised request, restored."""
        with self._pseudonyms() as pseudonyms:
            outgoing = rewrite.chat_request(request, pseudonyms)
            answer = await self.inner.chat_response(outgoing, deployment=deployment)
            return rewrite.chat_response(answer, pseudonyms)

    async def complete(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> AsyncIterator[CompletionChunk]:
        """Stream a legacy completion of the pseudonymised prompt, restored."""
        with self._pseudonyms() as pseudonyms:
            outgoing = rewrite.completion_request(request, pseudonyms)
            chunks = self.inner.complete(outgoing, deployment=deployment)
            async for chunk in rewrite.completion_stream(chunks, pseudonyms):
                yield chunk

    async def completion_response(
        self, request: CompletionRequest, *, deployment: DeploymentConfig
    ) -> CompletionResponse:
        """A whole legacy completion of the pseudonymised prompt, restored."""
        with self._pseudonyms() as pseudonyms:
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
