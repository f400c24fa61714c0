"""Legacy text completions: request, and the response that doubles as the streamed chunk."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from pydantic import Field, SerializerFunctionWrapHandler, ValidationInfo, field_validator, model_serializer

from tutela.gateway.wire.chat import (
    Penalty,
    PositiveInt,
    Probability,
    StreamOptions,
    Temperature,
    require_stream,
)
from tutela.gateway.wire.common import RequestModel, ResponseModel, as_input_list, new_id
from tutela.gateway.wire.usage import Usage

Prompt: TypeAlias = str | list[str] | list[int] | list[list[int]]


class CompletionRequest(RequestModel):
    """``POST /v1/completions`` body."""

    model: str
    prompt: Prompt
    suffix: str | None = None
    max_tokens: Annotated[int, Field(ge=0)] | None = None
    temperature: Temperature | None = None
    top_p: Probability | None = None
    n: PositiveInt | None = None
    best_of: PositiveInt | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    logprobs: Annotated[int, Field(ge=0, le=5)] | None = None
    echo: bool | None = None
    stop: str | list[str] | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[str, float] | None = None
    seed: int | None = None
    user: str | None = None

    @field_validator("stream_options")
    @classmethod
    def _needs_stream(cls, value: StreamOptions | None, info: ValidationInfo) -> StreamOptions | None:
        return require_stream(value, info)

    @field_validator("best_of")
    @classmethod
    def _best_of_covers_n(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value < (info.data.get("n") or 1):
            raise ValueError("'best_of' must be greater than or equal to 'n'")
        return value

    @property
    def choice_count(self) -> int:
        """How many choices the client asked for (``n``, default 1)."""
        return self.n or 1

    @property
    def include_usage(self) -> bool:
        """Whether a streaming client asked for the final usage chunk."""
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)

    @property
    def prompts(self) -> list[str] | list[list[int]]:
        """The prompt(s) normalised to a list of strings or of token arrays."""
        return as_input_list(self.prompt)


class CompletionChoice(ResponseModel):
    """One choice (or one choice's increment, when streamed)."""

    text: str = ""
    index: int = 0
    logprobs: Any = None
    finish_reason: str | None = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        data.setdefault("logprobs", None)
        data.setdefault("finish_reason", None)
        return data


class CompletionResponse(ResponseModel):
    """``text_completion`` object; streamed chunks have the same shape."""

    id: str = ""
    object: str = "text_completion"
    created: int = 0
    model: str = ""
    choices: list[CompletionChoice] = Field(default_factory=list)
    usage: Usage | None = None
    system_fingerprint: str | None = None


CompletionChunk: TypeAlias = CompletionResponse


def new_completion_id() -> str:
    """Return a fresh ``cmpl-…`` id."""
    return new_id("cmpl")
