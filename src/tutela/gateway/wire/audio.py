"""Audio transcriptions: the request (a multipart form), the result, and its five response formats.

`Transcription` is what every provider returns (verbose: text, language, duration, segments, words); the
client's `response_format` only decides how it is rendered: json `{"text"}`, text, srt, vtt, or
verbose_json with the segments (and words when `timestamp_granularities[]` asks for them).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutela.gateway.wire.common import ResponseModel

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
Granularity = Literal["word", "segment"]


class TranscriptionRequest(BaseModel):
    """`POST /v1/audio/transcriptions`: the form fields, and the file's bytes (in memory only)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    file: bytes = Field(repr=False)
    filename: str = "audio"
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] | None = None
    prompt: Annotated[str, Field(max_length=4096)] | None = None
    response_format: ResponseFormat = "json"
    temperature: Annotated[float, Field(ge=0, le=1)] = 0.0
    timestamp_granularities: tuple[Granularity, ...] = ("segment",)

    @field_validator("file")
    @classmethod
    def _not_empty(cls, value: bytes) -> bytes:
        if not value:
            raise ValueError("the uploaded audio file is empty")
        return value

    def form_fields(self) -> dict[str, str | list[str]]:
        """The text fields to forward upstream (the file travels as its own part)."""
        fields: dict[str, str | list[str]] = {"temperature": repr(self.temperature)}
        if self.language is not None:
            fields["language"] = self.language
        if self.prompt is not None:
            fields["prompt"] = self.prompt
        if self.response_format == "verbose_json" and "word" in self.timestamp_granularities:
            fields["timestamp_granularities[]"] = list(self.timestamp_granularities)
        return fields


class TranscriptionWord(BaseModel):
    """One word with its time span in seconds."""

    model_config = ConfigDict(extra="allow")

    word: str
    start: float
    end: float


class TranscriptionSegment(BaseModel):
    """One segment with its time span in seconds (OpenAI's verbose_json shape)."""

    model_config = ConfigDict(extra="allow")

    id: int
    seek: int = 0
    start: float
    end: float
    text: str
    tokens: list[int] = Field(default_factory=list)
    temperature: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0


class Transcription(ResponseModel):
    """A whole transcription, as verbose as the provider could make it."""

    task: str = "transcribe"
    language: str | None = None
    duration: float | None = None
    text: str
    segments: list[TranscriptionSegment] | None = None
    words: list[TranscriptionWord] | None = None
    usage: dict[str, Any] | None = None


def _clock(seconds: float, separator: str) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cues(result: Transcription) -> list[TranscriptionSegment]:
    if result.segments:
        return result.segments
    if not result.text:
        return []
    return [TranscriptionSegment(id=0, start=0.0, end=result.duration or 0.0, text=result.text)]


def render(
    result: Transcription, response_format: ResponseFormat, granularities: tuple[Granularity, ...]
) -> tuple[str, str]:
    """The response body and its media type for `response_format`."""
    if response_format == "text":
        return result.text + "\n", "text/plain; charset=utf-8"
    if response_format == "srt":
        blocks = [
            f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text.strip()}\n"
            for i, s in enumerate(_cues(result), start=1)
        ]
        return "\n".join(blocks), "text/plain; charset=utf-8"
    if response_format == "vtt":
        blocks = [
            f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text.strip()}\n" for s in _cues(result)
        ]
        return "WEBVTT\n\n" + "\n".join(blocks), "text/vtt; charset=utf-8"
    if response_format == "json":
        body: dict[str, Any] = {"text": result.text}
        if result.usage is not None:
            body["usage"] = result.usage
        return json.dumps(body, ensure_ascii=False), "application/json"
    verbose = result.model_copy(
        update={
            "segments": result.segments or [] if "segment" in granularities else None,
            "words": (result.words or []) if "word" in granularities else None,
        }
    )
    return verbose.to_json(), "application/json"
