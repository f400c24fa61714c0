"""Module generation: an extracted document in, a `Module` out, every model call through the gateway.

Stages: split the document along its headings → outline → one lesson per section → question sets →
summary → assemble. Each stage is one gateway chat request (in process, the same path as HTTP) whose
`response_format` names one of Tutela's schemas; the answer is validated against the pydantic model, and an
answer that does not validate is asked for once more before the stage fails.

The document's structure decides what is written: chapters follow the shallowest heading level that occurs
at least twice, lessons follow the sections below it. The outline names the chapters and may merge
neighbouring ones; it can never drop text. Back matter (references, indexes) gets no lesson.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from tutela.authoring.generation import prompts
from tutela.authoring.generation.exceptions import GenerationFailed, NothingToTeach
from tutela.authoring.generation.passages import Passage, Section, split_document
from tutela.authoring.generation.schemas import (
    Lesson,
    Module,
    ModuleChapter,
    ModuleLesson,
    ModuleOutline,
    Question,
    QuestionSet,
    Summary,
)
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.gateway.access import Caller
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire.exceptions import GatewayError
from tutela.gateway.wire.parsing import parse_chat_request

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Progress = Callable[[str, float], None]

SECTION_CHARS = 12_000  # one lesson's source; fits an 8k-token context with room for the answer
OVERVIEW_CHARS = 24_000  # what the outline and the summary see of the whole document
MIN_LESSON_CHARS = 300  # a heading with a line under it is no lesson
CONCURRENCY = 4
_BACK_MATTER = re.compile(
    r"^[\d.\s]*(references|bibliography|works cited|acknowledge?ments?|index|list of (figures|tables)|"
    r"(table of )?contents|literatur(verzeichnis)?|quellen(verzeichnis)?|bildquellen|danksagung|"
    r"(abkürzungs|abbildungs|tabellen|symbol|stichwort|inhalts|literatur)verzeichnis|register)\s*$",
    re.IGNORECASE,
)


@dataclass
class _Chapter:
    title: str | None
    sections: list[Section] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(s.char_count for s in self.sections)


def _tagged(section: Section, name: str | None) -> list[Passage]:
    return [p.model_copy(update={"section": name}) for p in section.passages]


def plan_chapters(document: ExtractedDocument) -> list[list[Section]]:
    """Return the sections worth a lesson, grouped into chapters along the document's headings."""
    return [c.sections for c in _plan(document)]


def _plan(document: ExtractedDocument) -> list[_Chapter]:
    sections = split_document(document, max_chars=SECTION_CHARS)
    titled = [s for s in sections if s.title]
    if not titled:
        chapters = [_Chapter(None, [s]) for s in sections]
    else:
        per_level: dict[int, set[str]] = {}
        for s in titled:
            per_level.setdefault(s.level, set()).add(s.title or "")
        chapter_level = next((lv for lv in sorted(per_level) if len(per_level[lv]) >= 2), max(per_level))
        chapters = []
        for s in sections:
            # A heading above the chapter level before the first chapter is the document's own title.
            starts = s.title is not None and (
                s.level == chapter_level or (s.level < chapter_level and chapters)
            )
            if starts and not (chapters and chapters[-1].title == s.title):
                chapters.append(_Chapter(s.title))
            elif not chapters:
                continue  # front matter before the first chapter: title page, table of contents
            chapters[-1].sections.append(s)
    kept = []
    for chapter in chapters:
        if chapter.title and _BACK_MATTER.match(chapter.title):
            continue
        sections = [s for s in chapter.sections if not (s.title and _BACK_MATTER.match(s.title))]
        # A bare heading gets no lesson of its own, unless it is all there is (a one-paragraph document).
        chapter.sections = [s for s in sections if s.char_count >= MIN_LESSON_CHARS] or sections
        if chapter.sections:
            kept.append(chapter)
    if not kept:
        raise NothingToTeach("The document has no section with enough text to write a lesson from.")
    return kept


def _pages(section: Section) -> str:
    return f"pages {section.first_page}-{section.last_page}"


class _Refused(Exception):
    """The content filter refused a stage's passages."""


REFUSED = "left out: the content filter refused its source text"


class _Run:
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
    ) -> None:
        self.gateway, self.caller, self.document = gateway, caller, document
        self.deployment, self.instructions = deployment, instructions
        self._progress = progress
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self.left_out: list[str] = []  # parts the content filter refused, for the author (no content)

    def report(self, stage: str, fraction: float) -> None:
        if self._progress is not None:
            self._progress(stage, min(1.0, max(0.0, fraction)))

    async def ask(
        self,
        stage: str,
        name: str,
        model: type[M],
        passages: Sequence[Passage],
        *,
        count: int = 0,
        refusable: bool = False,
    ) -> M | None:
        """One stage's answer, validated; None when the model finds no usable text in the passages.

        When the content filter refuses the passages, a `refusable` stage raises `_Refused` (its caller
        leaves that part out and notes it); any other stage fails the module.
        """
        problem = ""
        for attempt in range(2):
            body = prompts.chat_body(
                model=self.deployment,
                schema_name=name,
                schema=model.model_json_schema(),
                system=prompts.system_message(name, self.instructions, count=count, problem=problem),
                passages=passages,
                title=self.document.title,
                language=self.document.language if self.document.language != "und" else None,
                seed=attempt,
            )
            async with self._limit:
                try:
                    response = await self.gateway.chat(
                        self.caller, parse_chat_request(body), deployment=self.deployment
                    )
                except GatewayError as exc:
                    if exc.code == "no_usable_text":
                        return None
                    if exc.code == "content_filter" and refusable:
                        raise _Refused from exc
                    raise GenerationFailed(f"{stage}: {exc.message}") from exc
            if response.choices and response.choices[0].finish_reason == "content_filter":
                # The filter withheld the answer (the completion side of the same policy).
                if refusable:
                    raise _Refused
                raise GenerationFailed(f"{stage}: the content filter withheld the model's answer")
            content = response.choices[0].message.content if response.choices else None
            try:
                return model.model_validate_json(content or "")
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(x) for x in first["loc"]) or "reply"
                problem = f"{where}: {first['msg']}"
        raise GenerationFailed(
            f"{stage}: the model's reply did not match the {name} schema twice ({problem})"
        )

    async def lesson_for(self, section: Section) -> Lesson | None:
        """The lesson of one section; left out (and noted) when the filter refuses its text."""
        pages = _pages(section)
        try:
            return await self.ask(
                f"lesson {section.title or pages!r}",
                "lesson",
                Lesson,
                _tagged(section, section.title),
                refusable=True,
            )
        except _Refused:
            self.left_out.append(f"The lesson on {pages} {REFUSED}")
            return None

    async def questions_from(self, sections: list[Section], count: int, stage: str) -> list[Question]:
        """Questions on consecutive sections. A refused request is split in halves until each refused
        section is alone; only those are left out (and noted)."""
        passages = [p for s in sections for p in _tagged(s, s.title)]
        try:
            found = await self.ask(stage, "question_set", QuestionSet, passages, count=count, refusable=True)
        except _Refused:
            if len(sections) == 1:
                self.left_out.append(f"The questions on {_pages(sections[0])} {REFUSED}")
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


def _match(outline: ModuleOutline, chapter: _Chapter) -> int:
    """The outline chapter that covers a planned chapter: by section name, else by the most shared pages."""
    for i, oc in enumerate(outline.chapters):
        if chapter.title and any(src.section == chapter.title for src in oc.sources):
            return i
    pages = {p for s in chapter.sections for p in range(s.first_page, s.last_page + 1)}

    def overlap(i: int) -> int:
        covered = {p for src in outline.chapters[i].sources for p in range(src.first_page, src.last_page + 1)}
        return len(pages & covered)

    return max(range(len(outline.chapters)), key=lambda i: (overlap(i), -i))


def _question_batches(chapters: list[_Chapter], total: int) -> list[tuple[list[_Chapter], int]]:
    """Consecutive chapters packed into question sets of about equal text, each with its share of `total`."""
    wanted = max(1, min(len(chapters), total // 6))
    all_chars = sum(c.chars for c in chapters)
    batches: list[list[_Chapter]] = [[]]
    for chapter in chapters:
        if batches[-1] and sum(c.chars for c in batches[-1]) >= all_chars / wanted:
            batches.append([])
        batches[-1].append(chapter)
    return [(b, max(5, round(total * sum(c.chars for c in b) / all_chars))) for b in batches]


def _lesson(lesson: Lesson, seen: set[str]) -> ModuleLesson:
    title = lesson.title
    n = 2
    while title.casefold() in seen:
        title, n = f"{lesson.title} ({n})", n + 1
    seen.add(title.casefold())
    citations = list({(c.page, c.quote): c for p in lesson.paragraphs for c in p.citations}.values())
    content = "\n\n".join(p.content for p in lesson.paragraphs)
    return ModuleLesson(title=title, content=content, citations=citations)


async def generate_module(
    *,
    gateway: Gateway,
    caller: Caller,
    document: ExtractedDocument,
    deployment: str = "extractive",
    instructions: str = "",
    progress: Progress | None = None,
    left_out: list[str] | None = None,
    with_questions: bool = True,
) -> Module:
    """Write a module (outline, lessons, questions, summary) from a document through the gateway.

    Lessons and questions whose source text the content filter refuses are left out, section by section;
    a sentence per part left out (pages only, no content) is appended to `left_out`.
    """
    run = _Run(
        gateway=gateway,
        caller=caller,
        document=document,
        deployment=deployment,
        instructions=instructions,
        progress=progress,
    )
    run.report("split", 0.0)
    chapters = _plan(document)
    by_chapter = [[_tagged(s, c.title) for s in c.sections] for c in chapters]
    overview = prompts.condense([p for group in by_chapter for p in group], OVERVIEW_CHARS)
    run.report("outline", 0.05)
    outline = await run.ask("outline", "module_outline", ModuleOutline, overview)
    if outline is None:
        raise NothingToTeach("The document has no running text to write a module from.")

    run.report("lessons", 0.15)
    jobs = [run.lesson_for(s) for c in chapters for s in c.sections]
    lessons = iter(await run.gather(jobs, "lessons", 0.15, 0.7))

    module_chapters: list[ModuleChapter] = []
    last_match = -1
    for chapter in chapters:
        seen: set[str] = set()
        written = [_lesson(lesson, seen) for s in chapter.sections if (lesson := next(lessons)) is not None]
        if not written:
            continue
        match = _match(outline, chapter)
        if match == last_match and module_chapters:
            # The outline merged these chapters; lesson titles stay as written (they name their sections).
            module_chapters[-1].lessons.extend(written)
            continue
        last_match = match
        module_chapters.append(ModuleChapter(title=outline.chapters[match].title, lessons=written))
    if not module_chapters:
        raise NothingToTeach("The document has no section with enough text to write a lesson from.")

    total = prompts.requested_question_count(instructions) or max(5, math.ceil(0.6 * document.page_count))
    batches = _question_batches(chapters, total) if with_questions else []
    sets = await run.gather(
        [
            run.questions_from(
                [s for c in batch for s in c.sections], count, f"questions {i + 1} of {len(batches)}"
            )
            for i, (batch, count) in enumerate(batches)
        ],
        "questions",
        0.7,
        0.9,
    )
    questions: dict[str, Question] = {}
    for question_set in sets:
        for q in question_set or []:
            questions.setdefault(" ".join(q.stem.split()).casefold(), q)

    run.report("summary", 0.9)
    summary = await run.ask("summary", "summary", Summary, overview)
    run.report("assemble", 0.98)
    module = Module(
        title=outline.title,
        language=document.language if re.fullmatch(r"[a-z]{2}", document.language) else "und",
        learning_objectives=outline.learning_objectives,
        chapters=module_chapters,
        summary=summary.content if summary else "",
        questions=list(questions.values()),
    )
    if left_out is not None:
        left_out.extend(run.left_out)
    run.report("done", 1.0)
    return module
