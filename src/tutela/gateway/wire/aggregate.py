"""Folding a stream of chunks back into the full, non-streamed response."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from typing import Any

from tutela.gateway.wire.chat import (
    ChatChunk,
    ChatResponse,
    Choice,
    FunctionCallOut,
    ResponseMessage,
    ToolCallOut,
)
from tutela.gateway.wire.completions import CompletionChoice, CompletionChunk, CompletionResponse
from tutela.gateway.wire.usage import Usage


def _merge_extra(into: dict[str, Any], extra: dict[str, Any] | None) -> None:
    # Unknown string fields (e.g. vLLM's ``reasoning_content``) stream as fragments.
    for key, value in (extra or {}).items():
        if value is None:
            continue
        if isinstance(value, str) and isinstance(into.get(key), str):
            into[key] += value
        else:
            into[key] = value


def _merge_logprobs(current: Any, new: Any) -> Any:
    # Both chat ({"content": [...]}) and legacy ({"tokens": [...], ...}) logprobs are dicts of lists.
    if new is None:
        return current
    if not isinstance(current, dict) or not isinstance(new, dict):
        return new
    merged = dict(current)
    for key, value in new.items():
        old = merged.get(key)
        merged[key] = old + value if isinstance(old, list) and isinstance(value, list) else value
    return merged


@dataclass
class _ToolCall:
    id: str = ""
    type: str = "function"
    name: str = ""
    arguments: str = ""


@dataclass
class _ChatChoice:
    role: str = "assistant"
    content: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    tool_calls: dict[int, _ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    logprobs: Any = None
    saw_content: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Header:
    id: str = ""
    created: int = 0
    model: str = ""
    system_fingerprint: str | None = None
    usage: Usage | None = None

    def update(self, chunk: ChatChunk | CompletionChunk) -> None:
        self.id = self.id or chunk.id
        self.created = self.created or chunk.created
        self.model = self.model or chunk.model
        self.system_fingerprint = self.system_fingerprint or chunk.system_fingerprint
        if chunk.usage is not None:
            self.usage = chunk.usage


async def collect_chat(chunks: AsyncIterable[ChatChunk]) -> ChatResponse:
    """Concatenate content and tool-call fragments per choice into a ``chat.completion``."""
    head = _Header()
    choices: dict[int, _ChatChoice] = {}
    async for chunk in chunks:
        head.update(chunk)
        for part in chunk.choices:
            acc = choices.setdefault(part.index, _ChatChoice())
            delta = part.delta
            acc.role = delta.role or acc.role
            if delta.content is not None:
                acc.content.append(delta.content)
                acc.saw_content = True
            if delta.refusal is not None:
                acc.refusal.append(delta.refusal)
            for position, call in enumerate(delta.tool_calls or []):
                slot = acc.tool_calls.setdefault(position if call.index is None else call.index, _ToolCall())
                slot.id = call.id or slot.id
                slot.type = call.type or slot.type
                if call.function is not None:
                    slot.name += call.function.name or ""
                    slot.arguments += call.function.arguments or ""
            _merge_extra(acc.extra, delta.model_extra)
            acc.finish_reason = part.finish_reason or acc.finish_reason
            acc.logprobs = _merge_logprobs(acc.logprobs, part.logprobs)
    return ChatResponse(
        id=head.id,
        created=head.created,
        model=head.model,
        system_fingerprint=head.system_fingerprint,
        usage=head.usage,
        choices=[
            Choice(
                index=index,
                finish_reason=acc.finish_reason,
                logprobs=acc.logprobs,
                message=ResponseMessage(
                    role=acc.role,
                    content="".join(acc.content) if acc.saw_content else None,
                    refusal="".join(acc.refusal) if acc.refusal else None,
                    tool_calls=[
                        ToolCallOut(
                            id=call.id,
                            type=call.type,
                            function=FunctionCallOut(name=call.name, arguments=call.arguments),
                        )
                        for _, call in sorted(acc.tool_calls.items())
                    ]
                    or None,
                    **acc.extra,
                ),
            )
            for index, acc in sorted(choices.items())
        ],
    )


async def collect_completion(chunks: AsyncIterable[CompletionChunk]) -> CompletionResponse:
    """Concatenate text fragments per choice into a ``text_completion``."""
    head = _Header()
    texts: dict[int, list[str]] = {}
    finish: dict[int, str | None] = {}
    logprobs: dict[int, Any] = {}
    async for chunk in chunks:
        head.update(chunk)
        for part in chunk.choices:
            texts.setdefault(part.index, []).append(part.text)
            finish[part.index] = part.finish_reason or finish.get(part.index)
            logprobs[part.index] = _merge_logprobs(logprobs.get(part.index), part.logprobs)
    return CompletionResponse(
        id=head.id,
        created=head.created,
        model=head.model,
        system_fingerprint=head.system_fingerprint,
        usage=head.usage,
        choices=[
            CompletionChoice(
                index=i, text="".join(parts), finish_reason=finish.get(i), logprobs=logprobs.get(i)
            )
            for i, parts in sorted(texts.items())
        ],
    )
