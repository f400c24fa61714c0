"""One generation's requests to the gateway: ask a stage, check its reply, leave out what cannot be written.

Every stage is one chat request whose `response_format` names one of Tutela's schemas. A reply that is cut
off, does not match the schema, or is not grounded in its passages is asked for once more with the problem
named (replies.py); then its ungrounded items are left out. A part the content filter refuses, or whose
reply stays unusable, or that the upstream rejects as a request (too long for its context), raises
`LeftOut`; its caller leaves the part out and notes it for the author by its pages, never its content. Only
a failure of the model itself (unreachable, rate limited, the key revoked) fails the module.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from tutela.authoring.generation import prompts, replies
from tutela.authoring.generation.exceptions import GenerationFailed
from tutela.authoring.generation.schemas import Lesson, Question, QuestionSet
from tutela.authoring.generation.sections import Section
from tutela.authoring.generation.timing import stretch
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.gateway.access import Caller
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire.chat import ChatResponse
from tutela.gateway.wire.exceptions import GatewayError, PayloadTooLargeError, UpstreamInvalidRequestError
from tutela.gateway.wire.parsing import parse_chat_request
from tutela.gateway.wire.passages import Passage

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Progress = Callable[[str, float], None]

CONCURRENCY = 4


def tagged(section: Section, name: str | None) -> list[Passage]:
    """A section's passages, each naming the section (or chapter) it belongs to."""
    return [p.model_copy(update={"section": name}) for p in section.passages]


def _pages(document: ExtractedDocument, section: Section) -> str:
    return stretch(document, section.first_page, section.last_page)


def span(document: ExtractedDocument, passages: Sequence[Passage]) -> str:
    """The stretch of the source the passages come from, as a note names it."""
    pages = [p.page for p in passages]
    return stretch(document, min(pages), max(pages)) if pages else "no text"


class LeftOut(Exception):
    """A part of the module that cannot be written: `reason` says why, for the author (no content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


REFUSED = "the content filter refused its source text"


class Run:
    """One generation: the gateway, the caller and the document every stage sends its requests with."""

    def __init__(
        self,
        *,
        gateway: Gateway,
        caller: Caller,
        document: ExtractedDocument,
        deployment: str,
        instructions: str,
        progress: Progress | None,
        question_types: Sequence[str] = (),
    ) -> None:
        self.gateway, self.caller, self.document = gateway, caller, document
        self.deployment, self.instructions = deployment, instructions
        self._progress = progress
        self.question_types = question_types
        self.questions_left_out = 0  # question sets or questions left out, for the note on a short count
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self.left_out: list[str] = []  # parts left out and why, for the author (pages only, no content)
        self.reasons: list[str] = []  # why each lesson was left out, for the message when none is left

    def report(self, stage: str, fraction: float) -> None:
        if self._progress is not None:
            self._progress(stage, min(1.0, max(0.0, fraction)))

    def note(self, part: str, reason: str) -> None:
        self.left_out.append(f"{part} left out: {reason}")

    async def _request(
        self,
        stage: str,
        name: str,
        model: type[BaseModel],
        passages: Sequence[Passage],
        count: int,
        note: str,
        seed: int,
    ) -> ChatResponse | None:
        body = prompts.chat_body(
            model=self.deployment,
            schema_name=name,
            schema=prompts.response_schema(model, self.question_types),
            system=prompts.system_message(
                name, self.instructions, count=count, problem=note, question_types=self.question_types
            ),
            passages=passages,
            title=self.document.title,
            language=self.document.language if self.document.language != "und" else None,
            seed=seed,
        )
        async with self._limit:
            try:
                response = await self.gateway.chat(
                    self.caller, parse_chat_request(body), deployment=self.deployment
                )
            except GatewayError as exc:
                if exc.code == "no_usable_text":
                    return None
                if exc.code == "content_filter":
                    raise LeftOut(REFUSED) from exc
                if isinstance(exc, UpstreamInvalidRequestError | PayloadTooLargeError):
                    # This request only (too long for the model's context, say): the others may pass.
                    code = re.sub(r"[^a-z0-9_]", "", (exc.code or "invalid_request").lower())[:40]
                    raise LeftOut(f"the model rejected the request ({code})") from exc
                raise GenerationFailed(f"{stage}: {exc.message}") from exc
        if response.choices and response.choices[0].finish_reason == "content_filter":
            raise LeftOut(REFUSED)  # the filter withheld the answer (the completion side of the policy)
        return response

    async def ask(
        self,
        stage: str,
        name: str,
        model: type[M],
        passages: Sequence[Passage],
        *,
        part: str,
        count: int = 0,
    ) -> M | None:
        """One stage's answer, checked; None when the model finds no usable text in the passages.

        A reply that is cut off, does not match the schema, or cites quotes the passages do not hold is
        asked for once more with the problem named. Then ungrounded items are left out (and noted under
        `part`); a reply still unusable, or a refusal by the content filter, raises `LeftOut`.
        """
        note = ""
        for final in (False, True):
            response = await self._request(stage, name, model, passages, count, note, int(final))
            if response is None:
                return None
            choice = response.choices[0] if response.choices else None
            try:
                value, invalid = replies.parse(
                    model,
                    name,
                    choice.message.content if choice else None,
                    choice.finish_reason if choice else None,
                    salvage=final,
                )
            except replies.Unusable as exc:
                if final:
                    raise LeftOut(f"{exc.reason}, twice") from None
                note = exc.problem
                continue
            bad = replies.ungrounded(value, passages)
            if not bad and not invalid:
                return value
            note = replies.problem_note(bad)
        pruned, dropped = replies.prune(value, passages)
        if pruned is None:
            raise LeftOut("its quotes were not found in the source, twice")
        self._note_pruned(part, name, dropped + invalid)
        return pruned

    def _note_pruned(self, part: str, name: str, dropped: int) -> None:
        if name == "lesson":
            what = "paragraph" if dropped == 1 else "paragraphs"
            self.left_out.append(
                f"{dropped} {what} of {part.lower()} left out: their quotes were not found in the source"
            )
        elif name == "question_set":
            self.questions_left_out += dropped
            what = "question" if dropped == 1 else "questions"
            self.left_out.append(
                f"{dropped} {what} on {part.removeprefix('The questions on ')} left out: their answers or "
                "quotes could not be verified against the source"
            )

    async def lesson_for(self, section: Section) -> Lesson | None:
        """The lesson of one section; left out (and noted) when it cannot be written."""
        part = f"The lesson on {_pages(self.document, section)}"
        try:
            return await self.ask(
                f"lesson {section.title or _pages(self.document, section)!r}",
                "lesson",
                Lesson,
                tagged(section, section.title),
                part=part,
            )
        except LeftOut as exc:
            self.note(part, exc.reason)
            self.reasons.append(exc.reason)
            return None

    async def questions_from(self, sections: list[Section], count: int, stage: str) -> list[Question]:
        """Questions on consecutive sections. A request that cannot be answered is split in halves until
        each failing section is alone; only those are left out (and noted)."""
        passages = [p for s in sections for p in tagged(s, s.title)]
        part = f"The questions on {stretch(self.document, sections[0].first_page, sections[-1].last_page)}"
        try:
            found = await self.ask(stage, "question_set", QuestionSet, passages, part=part, count=count)
        except LeftOut as exc:
            if len(sections) == 1:
                self.note(part, exc.reason)
                self.questions_left_out += 1
                return []
            half = len(sections) // 2
            share = max(1, round(count * half / len(sections)))
            first = await self.questions_from(sections[:half], share, stage)
            return first + await self.questions_from(sections[half:], max(1, count - share), stage)
        return list(found.questions) if found is not None else []

    async def gather(self, jobs: Sequence[Awaitable[T]], stage: str, start: float, end: float) -> list[T]:
        """Run a stage's requests concurrently, reporting progress as each one finishes."""
        done = 0

        async def tracked(job: Awaitable[T]) -> T:
            nonlocal done
            result = await job
            done += 1
            self.report(stage, start + (end - start) * done / max(1, len(jobs)))
            return result

        return list(await asyncio.gather(*(tracked(j) for j in jobs)))
