"""Applying a request's pseudonyms to the wire objects: texts of the request out, texts of the answer back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tutela.gateway.pii.pseudonyms import Pseudonyms, StreamRestorer
from tutela.gateway.wire.chat import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ChunkChoice,
    Delta,
    FunctionDelta,
    ToolCallDelta,
)
from tutela.gateway.wire.completions import CompletionChoice, CompletionRequest, CompletionResponse
from tutela.gateway.wire.messages import AssistantMessage, TextPart


def _content(content: Any, pseudonyms: Pseudonyms) -> Any:
    if isinstance(content, str):
        return pseudonyms.pseudonymise(content)
    if isinstance(content, list):
        return [
            part.model_copy(update={"text": pseudonyms.pseudonymise(part.text)})
            if isinstance(part, TextPart)
            else part
            for part in content
        ]
    return content


def _message(message: Any, pseudonyms: Pseudonyms) -> Any:
    update: dict[str, Any] = {}
    if message.content is not None:
        update["content"] = _content(message.content, pseudonyms)
    if isinstance(message, AssistantMessage) and message.tool_calls:
        update["tool_calls"] = [
            call.model_copy(
                update={
                    "function": call.function.model_copy(
                        update={"arguments": pseudonyms.pseudonymise(call.function.arguments)}
                    )
                }
            )
            for call in message.tool_calls
        ]
    return message.model_copy(update=update) if update else message


def chat_request(request: ChatRequest, pseudonyms: Pseudonyms) -> ChatRequest:
    """The request as it leaves: every message text (and earlier tool call arguments) pseudonymised."""
    return request.model_copy(update={"messages": [_message(m, pseudonyms) for m in request.messages]})


def completion_request(request: CompletionRequest, pseudonyms: Pseudonyms) -> CompletionRequest:
    """The legacy completion request as it leaves; token arrays carry no text to pseudonymise."""
    prompt = request.prompt
    if isinstance(prompt, str):
        prompt = pseudonyms.pseudonymise(prompt)
    elif prompt and all(isinstance(p, str) for p in prompt):
        prompt = [pseudonyms.pseudonymise(p) for p in prompt if isinstance(p, str)]
    update: dict[str, Any] = {"prompt": prompt}
    if request.suffix is not None:
        update["suffix"] = pseudonyms.pseudonymise(request.suffix)
    return request.model_copy(update=update)


def chat_response(response: ChatResponse, pseudonyms: Pseudonyms) -> ChatResponse:
    """The whole answer with the values back in its text, refusal and tool call arguments."""
    for choice in response.choices:
        message = choice.message
        if message.content is not None:
            message.content = pseudonyms.restore(message.content)
        if message.refusal is not None:
            message.refusal = pseudonyms.restore(message.refusal)
        for call in message.tool_calls or []:
            call.function.arguments = pseudonyms.restore(call.function.arguments)
    return response


def completion_response(response: CompletionResponse, pseudonyms: Pseudonyms) -> CompletionResponse:
    """The whole legacy completion with the values back."""
    for choice in response.choices:
        choice.text = pseudonyms.restore(choice.text)
    return response


class _Streams:
    """One restorer per streamed text of an answer, keyed by choice and field."""

    def __init__(self, pseudonyms: Pseudonyms) -> None:
        self._pseudonyms = pseudonyms
        self._open: dict[tuple[int, str], StreamRestorer] = {}

    def feed(self, key: tuple[int, str], piece: str | None) -> str | None:
        if piece is None:
            return None
        restorer = self._open.setdefault(key, StreamRestorer(self._pseudonyms))
        return restorer.feed(piece)

    def finish(self, index: int) -> dict[str, str]:
        """Held-back text of a choice that has finished, by field."""
        done = [key for key in self._open if key[0] == index]
        return {key[1]: self._open.pop(key).flush() for key in done}

    def indexes(self) -> set[int]:
        return {key[0] for key in self._open}


async def chat_stream(chunks: AsyncIterator[ChatChunk], pseudonyms: Pseudonyms) -> AsyncIterator[ChatChunk]:
    """Chunks with the values back, holding back a placeholder's start until its end has arrived."""
    streams = _Streams(pseudonyms)
    last: ChatChunk | None = None
    async for chunk in chunks:
        last = chunk
        for choice in chunk.choices:
            delta = choice.delta
            delta.content = streams.feed((choice.index, "content"), delta.content)
            delta.refusal = streams.feed((choice.index, "refusal"), delta.refusal)
            for call in delta.tool_calls or []:
                if call.function is not None:
                    key = (choice.index, f"tool:{call.index or 0}")
                    call.function.arguments = streams.feed(key, call.function.arguments)
            if choice.finish_reason is not None:
                _append_held(choice.delta, streams.finish(choice.index))
        yield chunk
    if last is not None and streams.indexes():
        # The upstream ended without finishing a choice: what was held back still belongs to the client.
        tail = ChatChunk(id=last.id, model=last.model, created=last.created, choices=[])
        for index in sorted(streams.indexes()):
            tail.choices.append(_tail_choice(index, streams.finish(index)))
        yield tail


def _append_held(delta: Delta, held: dict[str, str]) -> None:
    for field, text in held.items():
        if field in ("content", "refusal"):
            setattr(delta, field, (getattr(delta, field) or "") + text)
        elif text:
            index = int(field.removeprefix("tool:"))
            delta.tool_calls = [
                *(delta.tool_calls or []),
                ToolCallDelta(index=index, function=FunctionDelta(arguments=text)),
            ]


def _tail_choice(index: int, held: dict[str, str]) -> ChunkChoice:
    delta = Delta()
    _append_held(delta, held)
    return ChunkChoice(index=index, delta=delta)


async def completion_stream(
    chunks: AsyncIterator[CompletionResponse], pseudonyms: Pseudonyms
) -> AsyncIterator[CompletionResponse]:
    """Legacy completion chunks with the values back."""
    streams = _Streams(pseudonyms)
    last: CompletionResponse | None = None
    async for chunk in chunks:
        last = chunk
        for choice in chunk.choices:
            choice.text = streams.feed((choice.index, "text"), choice.text) or ""
            if choice.finish_reason is not None:
                choice.text += streams.finish(choice.index).get("text", "")
        yield chunk
    if last is not None and streams.indexes():
        choices = [
            CompletionChoice(index=i, text=streams.finish(i).get("text", ""))
            for i in sorted(streams.indexes())
        ]
        yield CompletionResponse(id=last.id, model=last.model, created=last.created, choices=choices)
