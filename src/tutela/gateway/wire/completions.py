"""Legacy text completions: request, and the response that doubles as the streamed chunk."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from pydantic import Field, SerializerFunctionWrapHandler, ValidationInfo, field_validator, model_serializer

from tutela.gateway.wire.common import ResponseModel, as_input_list, new_id
from tutela.gateway.wire.sampling import GenerationRequest, GenerationResponse, PositiveInt

Prompt: TypeAlias = str | list[str] | list[int] | list[list[int]]


class CompletionRequest(GenerationRequest):
    """``POST /v1/completions`` body."""

    prompt: Prompt
    suffix: str | None = None
    max_tokens: Annotated[int, Field(ge=0)] | None = None
    best_of: PositiveInt | None = None
    logprobs: Annotated[int, Field(ge=0, le=5)] | None = None
    echo: bool | None = None

    @field_validator("best_of")
    @classmethod
    def _best_of_covers_n(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value < (info.data.get("n") or 1):
            raise ValueError("'best_of' must be greater than or equal to 'n'")
        return value

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


class CompletionResponse(GenerationResponse):
    """``text_completion`` object; streamed chunks have the same shape."""

    object: str = "text_completion"
    choices: list[CompletionChoice] = Field(default_factory=list)


CompletionChunk: TypeAlias = CompletionResponse


def new_completion_id() -> str:
    """Return a fresh ``cmpl-…`` id."""
    return new_id("cmpl")
