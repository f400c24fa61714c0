"""`ContentScreen`: the gateway's content filter on the request path (see exchange.py for the seam).

Prompts: every message is screened for the four harm categories, profanity and blocklists; user turns for
jailbreaks; documents (Tutela's source-passage blocks, tool and function results) for indirect attacks.
The product's own authoring requests (a keyless in-process caller) screen documents for harm at the
organization's authoring document filter instead of the deployment's prompt thresholds.
Over threshold → HTTP 400 `content_filter` (Azure's shape). Otherwise `prompt_filter_results` are attached.

Completions: each choice is screened; a filtered choice loses its text and ends with
`finish_reason = "content_filter"`; every choice carries `content_filter_results`.

Transcriptions: the `prompt` is screened as a user prompt; the transcript as a completion, and a transcript
over threshold is refused whole (400 `content_filter`), since it has no choices to blank.

Streams are screened in windows: text is held back until a choice has `WINDOW_CHARS` pending (or a
sentence of at least `MIN_WINDOW_CHARS` ends, or the choice finishes); the window is checked together with
the last `CONTEXT_CHARS` already sent, and released only if it passes, with its annotations and
`content_filter_offsets` on the window's last chunk. A failing window is never sent: the choice ends with a
`content_filter` chunk carrying the verdict, and later upstream text for it is dropped.

External safety services configured on the deployment (`external/`) see the same texts at the same time
as the built-in classifier; the strictest verdict wins and the annotations name who decided.

Nothing here logs or stores text; verdicts (no text) go on the exchange for the response and monitoring.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from tutela.gateway.exchange import Exchange
from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.exceptions import SafetyError
from tutela.gateway.safety.external import configuration as external_config
from tutela.gateway.safety.external.base import ScreenText
from tutela.gateway.safety.external.combine import combine
from tutela.gateway.safety.external.runner import ExternalChecks, Outcome, allowed_jurisdictions, build
from tutela.gateway.safety.filtering_exceptions import (
    ContentFilterError,
    ContentFilterUnavailableError,
    TranscriptFilteredError,
)
from tutela.gateway.safety.schemas import Level
from tutela.gateway.safety.scores import SafetyScores
from tutela.gateway.safety.service import CompiledFilter, compiled_filter
from tutela.gateway.safety.verdicts import Role, Segment, Verdict, judge
from tutela.gateway.wire.audio import Transcription, TranscriptionRequest
from tutela.gateway.wire.chat import ChatChunk, ChatRequest, ChatResponse, ChunkChoice, Delta
from tutela.gateway.wire.completions import CompletionChoice, CompletionRequest, CompletionResponse
from tutela.gateway.wire.exceptions import InvalidRequestError
from tutela.gateway.wire.images import ImageRequest, ImageResponse
from tutela.gateway.wire.passages import MalformedPassages, parse_source
from tutela.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")

WINDOW_CHARS = 200
MIN_WINDOW_CHARS = 60
CONTEXT_CHARS = 200
MAX_SCREENED_CHARS = 4_000_000  # ~5 s of classification on one core; the body limit is usually lower
INLINE_CHARS = 16_000  # above this, classification runs off the event loop
MAX_KEPT_VERDICTS = 50  # per stream, for monitoring (verdicts only, no text)
_SENTENCE_END = (".", "!", "?", "\n")


def set_extra(model: BaseModel, key: str, value: Any) -> None:
    """Add a field the wire models do not declare (they all allow extras)."""
    extra = model.__pydantic_extra__
    if extra is None:
        raise TypeError(f"{type(model).__name__} does not allow extra fields")
    extra[key] = value


def _message_segments(role: str, text: str) -> list[Segment]:
    """A message's text, with any source-passage block taken out as documents."""
    try:
        parsed = parse_source(text)
    except MalformedPassages:
        parsed = None
    own: Role = "user" if role == "user" else "document" if role in ("tool", "function") else "other"
    if parsed is None or not parsed.passages:
        return [Segment(text, own)] if text else []
    out = [Segment(p.text, "document") for p in parsed.passages]
    if parsed.instructions:
        out.append(Segment(parsed.instructions, own))
    return out


def prompt_segments(
    request: ChatRequest | CompletionRequest | ImageRequest | TranscriptionRequest,
) -> list[list[Segment]]:
    """The segments of each prompt (chat, image and transcription requests have one prompt, index 0)."""
    if isinstance(request, ImageRequest):
        return [[Segment(request.prompt, "user")]]
    if isinstance(request, TranscriptionRequest):
        return [[Segment(request.prompt, "user")] if request.prompt else []]
    if isinstance(request, ChatRequest):
        segments: list[Segment] = []
        for message in request.messages:
            segments.extend(_message_segments(str(getattr(message, "role", "other")), message.text()))
        return [segments]
    out = []
    for prompt in request.prompts:
        out.append(_message_segments("user", prompt) if isinstance(prompt, str) else [])
    return out


class ContentScreen:
    """Screens prompts and completions against each deployment's filter (see the module docstring)."""

    def __init__(self, runtime: Runtime, *, classifier: SafetyClassifier | None = None) -> None:
        self.runtime = runtime
        self._classifier = classifier
        self._policies: dict[tuple[str, str, str], CompiledFilter] = {}
        self._lock = threading.Lock()
        self._external = ExternalChecks()

    async def close(self) -> None:
        """Close the connections to external safety services."""
        await self._external.close()

    # --- shared steps --------------------------------------------------------------------------------------

    def classifier(self) -> SafetyClassifier:
        """The loaded model (loaded once); without it nothing passes."""
        if self._classifier is None:
            try:
                self._classifier = SafetyClassifier.load()
            except SafetyError as exc:
                log.error("content safety model unavailable: %s", type(exc).__name__)
                raise ContentFilterUnavailableError(
                    "Content filtering is unavailable, so the request was not processed."
                ) from None
        return self._classifier

    async def policy(self, exchange: Exchange) -> CompiledFilter:
        """The deployment's compiled filter, cached as briefly as deployments are."""
        caller = exchange.caller
        key = (caller.org_id, caller.resource_id, exchange.deployment)
        ttl = self.runtime.settings.gateway.access_cache_seconds
        cached = self._policies.get(key)
        if cached is not None and time.monotonic() - cached.loaded_at <= ttl:
            return cached

        def load() -> CompiledFilter:
            with self.runtime.region_session(caller.org_id) as db:
                policy = compiled_filter(
                    db, org_id=caller.org_id, resource_id=caller.resource_id, deployment=exchange.deployment
                )
                if not policy.settings.services or policy.deployment_id is None:
                    return policy
                keys = external_config.open_keys(
                    self.runtime, db, org_id=caller.org_id, deployment_id=policy.deployment_id
                )
            region = self.runtime.region_of(caller.org_id).settings
            allowed = allowed_jurisdictions(region)
            services = build(policy.settings.services, sealed_keys=keys, allowed=allowed)
            return replace(policy, services=services)

        policy = await asyncio.to_thread(load)
        with self._lock:
            self._policies[key] = policy
        return policy

    async def _judge_all(
        self,
        groups: Sequence[Sequence[Segment]],
        policy: CompiledFilter,
        direction: Literal["prompt", "completion"],
        *,
        streaming: bool = False,
        context: str = "",
        document_level: Level | None = None,
    ) -> list[Verdict]:
        """One verdict per group of segments; long texts are classified off the event loop.

        With external services configured they are called first and awaited after the built-in
        classifier, so the two run at the same time.
        """
        chars = sum(len(s.text) for group in groups for s in group)
        if chars > MAX_SCREENED_CHARS:
            raise InvalidRequestError(
                f"The {direction} is too long to be screened ({chars} characters; the limit is "
                f"{MAX_SCREENED_CHARS}).",
                param="messages" if direction == "prompt" else None,
                code="content_filter_input_too_large",
            )
        classifier = self.classifier()
        external: asyncio.Task[list[list[Outcome]]] | None = None
        if policy.services:
            texts = [ScreenText(direction, tuple(group), context) for group in groups]
            external = asyncio.create_task(self._external.run(policy.services, texts))
            # Give the calls their start: short texts hold the loop ~1 ms, long ones are classified off it.
            await asyncio.sleep(0)

        def run() -> list[Verdict]:
            flat = [s.text for group in groups for s in group]
            scores = classifier.classify(flat) if flat else []
            verdicts, at = [], 0
            for group in groups:
                mine: list[SafetyScores] = scores[at : at + len(group)]
                at += len(group)
                verdicts.append(
                    judge(
                        group,
                        mine,
                        policy,
                        direction=direction,
                        streaming=streaming,
                        document_level=document_level,
                    )
                )
            return verdicts

        try:
            verdicts = await asyncio.to_thread(run) if chars > INLINE_CHARS else run()
        except BaseException:
            if external is not None:
                external.cancel()
            raise
        if external is None:
            return verdicts
        settings = policy.settings.prompt if direction == "prompt" else policy.settings.completion
        outcomes = await external
        return [
            combine(v, o, settings, document_level=document_level if _has_document(g) else None)
            for g, v, o in zip(groups, verdicts, outcomes, strict=True)
        ]

    # --- the Screen protocol -------------------------------------------------------------------------------

    async def prompt(self, exchange: Exchange, request: Any) -> None:
        """Screen the prompt(s): raise ContentFilterError over threshold, else record the annotations."""
        if not isinstance(request, ChatRequest | CompletionRequest | ImageRequest | TranscriptionRequest):
            return  # embeddings are not filtered (as in Azure OpenAI)
        if isinstance(request, TranscriptionRequest) and not request.prompt:
            return
        groups = prompt_segments(request)
        policy = await self.policy(exchange)
        caller = exchange.caller
        # Only the product's own keyless caller may screen documents at its organization's authoring level.
        documents = caller.document_filter if not caller.key_id else None
        verdicts = await self._judge_all(groups, policy, "prompt", document_level=documents)
        exchange.verdicts["prompt_filter_results"] = [
            {"prompt_index": i, "content_filter_results": v.results} for i, v in enumerate(verdicts)
        ]
        for index, verdict in enumerate(verdicts):
            if verdict.filtered:
                exchange.verdicts["prompt_filtered"] = True
                raise ContentFilterError(verdict.results, prompt_index=index)

    async def documents(self, exchange: Exchange, texts: list[str]) -> list[dict[str, Any] | None]:
        """Screen retrieved documents one by one: None for a document that may reach the model, else its
        annotations. Retrieved text is data, so any detected indirect attack refuses it, whatever the
        deployment does with attacks in documents the caller sent itself."""
        if not texts:
            return []
        policy = await self.policy(exchange)
        verdicts = await self._judge_all([[Segment(t, "document")] for t in texts], policy, "prompt")
        return [
            v.results if v.filtered or v.results.get("indirect_attack", {}).get("detected") else None
            for v in verdicts
        ]

    async def completion(self, exchange: Exchange, response: T) -> T:
        """Screen each choice; filtered ones lose their text and finish with `content_filter`.

        Generated images are not classified (no image model ships); their response carries the prompt's
        annotations, and the upstream's own per-image results pass through."""
        if isinstance(response, ImageResponse) and "prompt_filter_results" in exchange.verdicts:
            set_extra(response, "prompt_filter_results", exchange.verdicts["prompt_filter_results"])
        if isinstance(response, Transcription):
            return await self._transcript(exchange, response)
        if not isinstance(response, ChatResponse | CompletionResponse):
            return response
        policy = await self.policy(exchange)
        texts = [_choice_text(c) for c in response.choices]
        verdicts = await self._judge_all(
            [[Segment(t)] if t else [] for t in texts], policy, "completion", context=_context(exchange)
        )
        choices: list[Any] = list(response.choices)
        for choice, verdict in zip(choices, verdicts, strict=True):
            if verdict.filtered:
                _clear_choice(choice)
                choice.finish_reason = "content_filter"
            set_extra(choice, "content_filter_results", verdict.results)
        exchange.verdicts["completion_filter_results"] = [v.results for v in verdicts]
        if "prompt_filter_results" in exchange.verdicts:
            set_extra(response, "prompt_filter_results", exchange.verdicts["prompt_filter_results"])
        return response

    async def _transcript(self, exchange: Exchange, response: T) -> T:
        assert isinstance(response, Transcription)
        policy = await self.policy(exchange)
        group = [Segment(response.text)] if response.text else []
        (verdict,) = await self._judge_all([group], policy, "completion", context=_context(exchange))
        exchange.verdicts["completion_filter_results"] = [verdict.results]
        if verdict.filtered:
            exchange.verdicts["filtered"] = True
            raise TranscriptFilteredError(verdict.results)
        set_extra(response, "content_filter_results", verdict.results)
        return response

    def stream(self, exchange: Exchange, chunks: AsyncIterator[T]) -> AsyncIterator[T]:
        """Screen a stream window by window (see the module docstring)."""
        return _Windowed(self, exchange).run(chunks)


def _has_document(group: Sequence[Segment]) -> bool:
    return any(s.role == "document" for s in group)


def _context(exchange: Exchange) -> str:
    """The prompt a completion answers (its last text), for services that judge a reply in context."""
    return exchange.prompt_texts[-1] if exchange.prompt_texts else ""


# --- choices of either wire format -------------------------------------------------------------------------


def _choice_text(choice: Any) -> str:
    if isinstance(choice, CompletionChoice):
        return choice.text
    message = getattr(choice, "message", None) or getattr(choice, "delta", None)
    return (getattr(message, "content", None) or "") if message is not None else ""


def _clear_choice(choice: Any) -> None:
    if isinstance(choice, CompletionChoice):
        choice.text = ""
        return
    message = getattr(choice, "message", None) or getattr(choice, "delta", None)
    if message is not None:
        message.content = None


class _Windowed:
    """The per-request state of a screened stream."""

    def __init__(self, screen: ContentScreen, exchange: Exchange) -> None:
        self.screen = screen
        self.exchange = exchange
        self.held: list[Any] = []
        self.pending: dict[int, str] = {}
        self.context: dict[int, str] = {}
        self.offset: dict[int, int] = {}
        self.done: set[int] = set()
        self.policy: CompiledFilter | None = None

    async def run(self, chunks: AsyncIterator[T]) -> AsyncIterator[T]:
        self.policy = await self.screen.policy(self.exchange)
        first = True
        try:
            async for chunk in chunks:
                if first:
                    first = False
                    head = self._prompt_annotations(chunk)
                    if head is not None:
                        yield head
                if _is_upstream_prompt_annotation(chunk):
                    continue  # the upstream's own annotations; ours were sent above
                choices = [c for c in getattr(chunk, "choices", []) if c.index not in self.done]
                chunk.choices = choices  # type: ignore[attr-defined]
                if not choices and getattr(chunk, "usage", None) is None:
                    continue
                self.held.append(chunk)
                due = not choices
                for choice in choices:
                    text = _choice_text(choice)
                    pending = self.pending.get(choice.index, "") + text
                    self.pending[choice.index] = pending
                    due |= choice.finish_reason is not None or len(pending) >= WINDOW_CHARS
                    due |= len(pending) >= MIN_WINDOW_CHARS and pending.rstrip(" ").endswith(_SENTENCE_END)
                if due:
                    for out in await self._release():
                        yield out
            for out in await self._release():
                yield out
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

    def _prompt_annotations(self, chunk: Any) -> Any:
        results = self.exchange.verdicts.get("prompt_filter_results")
        if results is None:
            return None
        head = type(chunk)(id=chunk.id, created=chunk.created, model=chunk.model, choices=[])
        set_extra(head, "prompt_filter_results", results)
        return head

    async def _release(self) -> list[Any]:
        """Check every choice's pending window; release what passes, end what fails."""
        assert self.policy is not None
        indices = [i for i, text in self.pending.items() if text and i not in self.done]
        windows = [self.context.get(i, "") + self.pending[i] for i in indices]
        verdicts = await self.screen._judge_all(
            [[Segment(w)] for w in windows],
            self.policy,
            "completion",
            streaming=True,
            context=_context(self.exchange),
        )
        by_index = dict(zip(indices, verdicts, strict=True))
        tail: list[Any] = []
        for index, verdict in by_index.items():
            if verdict.filtered:
                self.done.add(index)
                self._strip(index)
                tail.append(self._final(index, verdict))
            else:
                self._annotate(index, verdict)
                sent = self.pending[index]
                start = self.offset.get(index, 0)
                self.offset[index] = start + len(sent)
                self.context[index] = (self.context.get(index, "") + sent)[-CONTEXT_CHARS:]
        results = self.exchange.verdicts.setdefault("completion_filter_results", [])
        results.extend(v.results for v in verdicts if v.filtered or len(results) < MAX_KEPT_VERDICTS)
        out = [c for c in self.held if c.choices or getattr(c, "usage", None) is not None] + tail
        self.held = []
        self.pending = {}
        return out

    def _strip(self, index: int) -> None:
        for chunk in self.held:
            for choice in chunk.choices:
                if choice.index == index:
                    _clear_choice(choice)
                    choice.finish_reason = None
            chunk.choices = [c for c in chunk.choices if c.index != index or _has_role(c)]

    def _annotate(self, index: int, verdict: Verdict) -> None:
        last = None
        for chunk in self.held:
            for choice in chunk.choices:
                if choice.index == index:
                    last = choice
        if last is not None:
            set_extra(last, "content_filter_results", verdict.results)
            start = self.offset.get(index, 0)
            end = start + len(self.pending[index])
            set_extra(
                last,
                "content_filter_offsets",
                {"check_offset": start, "start_offset": start, "end_offset": end},
            )

    def _final(self, index: int, verdict: Verdict) -> Any:
        template = self.held[-1] if self.held else None
        ids = {"id": template.id, "created": template.created, "model": template.model} if template else {}
        if isinstance(template, CompletionResponse):
            choice: Any = CompletionChoice(index=index, text="", finish_reason="content_filter")
            chunk: Any = CompletionResponse(**ids, choices=[choice])
        else:
            choice = ChunkChoice(index=index, delta=Delta(), finish_reason="content_filter")
            chunk = ChatChunk(**ids, choices=[choice])
        set_extra(choice, "content_filter_results", verdict.results)
        return chunk


def _has_role(choice: Any) -> bool:
    delta = getattr(choice, "delta", None)
    return bool(delta is not None and delta.role)


def _is_upstream_prompt_annotation(chunk: Any) -> bool:
    extra = getattr(chunk, "model_extra", None) or {}
    return not getattr(chunk, "choices", None) and "prompt_filter_results" in extra
