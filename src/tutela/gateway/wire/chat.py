"""Chat completions: the request, the full response and the streamed chunk."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from tutela.gateway.wire.common import ResponseModel, new_id, now
from tutela.gateway.wire.data_sources import DataSource
from tutela.gateway.wire.messages import Message, Tool
from tutela.gateway.wire.response_format import ResponseFormat
from tutela.gateway.wire.sampling import GenerationRequest, GenerationResponse, PositiveInt
from tutela.gateway.wire.usage import Usage


class ChatRequest(GenerationRequest):
    """``POST /v1/chat/completions`` body."""

    messages: Annotated[list[Message], Field(min_length=1)]
    max_tokens: PositiveInt | None = None
    max_completion_tokens: PositiveInt | None = None
    response_format: ResponseFormat | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    # Azure "on your data": retrieval by the gateway (grounding/), never forwarded upstream.
    data_sources: list[DataSource] | None = None

    @property
    def token_limit(self) -> int | None:
        """The output token cap, whichever of the two spellings was used."""
        return self.max_completion_tokens or self.max_tokens


class FunctionCallOut(ResponseModel):
    """A function call in a response."""

    name: str = ""
    arguments: str = ""


class ToolCallOut(ResponseModel):
    """A complete tool call in a non-streamed response."""

    id: str
    type: str = "function"
    function: FunctionCallOut


class ResponseMessage(ResponseModel):
    """The assistant message of a non-streamed choice."""

    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCallOut] | None = None


def _keep_nulls(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    # Clients index these keys directly, so they stay even when null.
    for key in keys:
        data.setdefault(key, None)
    return data


class Choice(ResponseModel):
    """One choice of a non-streamed chat response."""

    index: int = 0
    message: ResponseMessage
    finish_reason: str | None = None
    logprobs: Any = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _keep_nulls(handler(self), "finish_reason", "logprobs")


class ChatResponse(GenerationResponse):
    """``chat.completion`` object."""

    object: str = "chat.completion"
    choices: list[Choice] = Field(default_factory=list)


class FunctionDelta(ResponseModel):
    """A fragment of a streamed function call."""

    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(ResponseModel):
    """A fragment of a streamed tool call; ``index`` says which call it extends."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None


class Delta(ResponseModel):
    """What a chunk adds to a choice."""

    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


class ChunkChoice(ResponseModel):
    """One choice's increment in a chunk."""

    index: int = 0
    delta: Delta = Field(default_factory=Delta)
    finish_reason: str | None = None
    logprobs: Any = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _keep_nulls(handler(self), "finish_reason")


class ChatChunk(GenerationResponse):
    """``chat.completion.chunk`` object; the usage-only final chunk has no choices."""

    object: str = "chat.completion.chunk"
    choices: list[ChunkChoice] = Field(default_factory=list)


def new_chat_id() -> str:
    """Return a fresh ``chatcmpl-…`` id."""
    return new_id("chatcmpl")


def chat_chunk(
    *,
    id: str,
    model: str,
    created: int | None = None,
    content: str | None = None,
    role: str | None = None,
    finish_reason: str | None = None,
    index: int = 0,
) -> ChatChunk:
    """Build a one-choice chunk; the building block for providers that generate text."""
    return ChatChunk(
        id=id,
        model=model,
        created=now() if created is None else created,
        choices=[
            ChunkChoice(index=index, delta=Delta(role=role, content=content), finish_reason=finish_reason)
        ],
    )


def usage_chunk(*, id: str, model: str, usage: Usage, created: int | None = None) -> ChatChunk:
    """Build the final usage-only chunk sent when ``stream_options.include_usage`` is set."""
    return ChatChunk(id=id, model=model, created=now() if created is None else created, usage=usage)


def chunk_from_response(response: ChatResponse) -> ChatChunk:
    """Express a full response as one chunk, so non-streamed upstreams fit the streaming interface."""
    choices = []
    for choice in response.choices:
        msg = choice.message
        tool_calls = None
        if msg.tool_calls:
            tool_calls = [
                ToolCallDelta(
                    index=i,
                    id=call.id,
                    type=call.type,
                    function=FunctionDelta(name=call.function.name, arguments=call.function.arguments),
                )
                for i, call in enumerate(msg.tool_calls)
            ]
        extra = msg.model_extra or {}
        delta = Delta(role=msg.role, content=msg.content, refusal=msg.refusal, tool_calls=tool_calls, **extra)
        choices.append(
            ChunkChoice(
                index=choice.index,
                delta=delta,
                finish_reason=choice.finish_reason,
                logprobs=choice.logprobs,
                **(choice.model_extra or {}),
            )
        )
    return ChatChunk(
        id=response.id,
        created=response.created,
        model=response.model,
        choices=choices,
        usage=response.usage,
        system_fingerprint=response.system_fingerprint,
        **(response.model_extra or {}),
    )
