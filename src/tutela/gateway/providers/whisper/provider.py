"""The ``whisper`` provider: offline speech to text with the built-in Whisper tiny.en (model.py).

Transcriptions only (chat is refused). The audio is decoded in a sandboxed child (decoding.py) and
transcribed in memory; the model runs one request at a time on `threads` cores, so a burst of uploads
waits in line instead of starving the rest of the gateway. English only: another `language` is refused
with a pointer to upstream deployments. `prompt` primes the decoder; `temperature` 0 decodes greedily
with fallback to higher temperatures on repetitive output, as Whisper does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from tutela.gateway.providers.base import DeploymentConfig, Provider, ProviderOptions
from tutela.gateway.providers.whisper import model as speech_model
from tutela.gateway.providers.whisper.decoding import DecodeLimits, decode, seconds
from tutela.gateway.providers.whisper.exceptions import LanguageNotSupported
from tutela.gateway.wire.audio import (
    Transcription,
    TranscriptionRequest,
    TranscriptionSegment,
    TranscriptionWord,
)
from tutela.gateway.wire.chat import ChatChunk, ChatRequest
from tutela.gateway.wire.exceptions import UnsupportedOperationError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel


class WhisperOptions(ProviderOptions):
    """Limits of one deployment of the built-in speech model."""

    max_audio_seconds: float = Field(default=1800.0, gt=0, le=4 * 3600)
    decode_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    decode_memory_mb: int = Field(default=1536, ge=256, le=16384)
    beam_size: int = Field(default=1, ge=1, le=5)


class WhisperProvider(Provider):
    """Transcribes with the verified Whisper tiny.en weights, on this machine."""

    name: ClassVar[str] = "whisper"
    Options: ClassVar[type[ProviderOptions]] = WhisperOptions
    supports_streaming: ClassVar[bool] = False
    supports_transcription: ClassVar[bool] = True
    metadata: ClassVar[dict[str, Any]] = {
        "description": "Built-in offline speech to text (Whisper tiny.en, int8 on the CPU).",
        "languages": list(speech_model.LANGUAGES),
        "limitations": "English only; rough on accents, noise and jargon. Configure an upstream "
        "deployment ('openai' or 'azure-openai') for other languages or better accuracy.",
    }

    def __init__(self, *, threads: int = 2) -> None:
        self._threads = threads
        self._model: WhisperModel | None = None
        self._load_lock = threading.Lock()
        self._turn = asyncio.Semaphore(1)

    def _loaded(self) -> WhisperModel:
        with self._load_lock:
            if self._model is None:
                self._model = speech_model.load(threads=self._threads)
            return self._model

    async def chat(self, request: ChatRequest, *, deployment: DeploymentConfig) -> AsyncIterator[ChatChunk]:
        """Refused: this model only transcribes audio."""
        raise UnsupportedOperationError(
            f"The model '{request.model}' only transcribes audio (POST /v1/audio/transcriptions).",
            param="model",
        )
        yield  # pragma: no cover - makes this an async generator

    async def transcribe(
        self, request: TranscriptionRequest, *, deployment: DeploymentConfig
    ) -> Transcription:
        """Decode in the sandbox, then transcribe one request at a time off the event loop."""
        options = self.parse_options(deployment)
        assert isinstance(options, WhisperOptions)
        if request.language is not None and request.language not in speech_model.LANGUAGES:
            raise LanguageNotSupported(
                f"The built-in speech model transcribes English only, not '{request.language}'. "
                "Use a deployment of an upstream speech model for other languages.",
                param="language",
            )
        limits = DecodeLimits(
            max_seconds=options.max_audio_seconds,
            timeout_seconds=options.decode_timeout_seconds,
            memory_bytes=options.decode_memory_mb * 2**20,
        )
        samples = await asyncio.to_thread(decode, request.file, limits)
        async with self._turn:
            return await asyncio.to_thread(self._transcribe, samples, request, options.beam_size)

    def _transcribe(
        self, samples: NDArray[np.float32], request: TranscriptionRequest, beam_size: int
    ) -> Transcription:
        words = "word" in request.timestamp_granularities
        temperatures = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if request.temperature == 0 else (request.temperature,)
        pieces, info = self._loaded().transcribe(
            samples,
            language="en",
            beam_size=beam_size,
            temperature=list(temperatures),
            initial_prompt=request.prompt,
            word_timestamps=words,
            vad_filter=True,
        )
        segments: list[TranscriptionSegment] = []
        found: list[TranscriptionWord] = []
        for piece in pieces:
            segments.append(
                TranscriptionSegment(
                    id=len(segments),
                    seek=piece.seek,
                    start=round(piece.start, 2),
                    end=round(piece.end, 2),
                    text=piece.text,
                    tokens=list(piece.tokens),
                    temperature=piece.temperature or 0.0,
                    avg_logprob=piece.avg_logprob,
                    compression_ratio=piece.compression_ratio,
                    no_speech_prob=piece.no_speech_prob,
                )
            )
            found.extend(
                TranscriptionWord(word=w.word.strip(), start=round(w.start, 2), end=round(w.end, 2))
                for w in piece.words or []
            )
        duration = round(seconds(samples), 2)
        return Transcription(
            language="english" if info.language == "en" else info.language,
            duration=duration,
            text="".join(s.text for s in segments).strip(),
            segments=segments,
            words=found if words else None,
            usage={"type": "duration", "seconds": int(np.ceil(duration))},
        )
