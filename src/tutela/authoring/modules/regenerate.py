"""Regenerating one chapter, one lesson or one question of a module, through the gateway like a full
generation.

A chapter is rewritten from the source sections its lessons came from (by lesson title, else by the pages
its lessons cite), a lesson from its own section found the same way; a question from the section holding
the page it cites, keeping only a question that is not already in the module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from tutela.authoring.generation import prompts, replies, structure
from tutela.authoring.generation.exceptions import GenerationFailed, NothingToTeach
from tutela.authoring.generation.pipeline import SECTION_CHARS
from tutela.authoring.generation.schemas import (
    Lesson,
    Module,
    ModuleChapter,
    ModuleLesson,
    Question,
    QuestionSet,
)
from tutela.authoring.generation.sections import Section
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.gateway.access import Caller
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire.parsing import parse_chat_request
from tutela.gateway.wire.passages import Passage
from tutela.runtime import Runtime

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _lesson_sections(document: ExtractedDocument) -> list[Section]:
    """The sections a generation writes lessons from (front and back matter set aside)."""
    plan = structure.plan_document(document, max_chars=SECTION_CHARS)
    return [section for chapter in plan.chapters for section in chapter.sections]


def run_with_gateway(runtime: Runtime, work: Callable[[Gateway], Awaitable[T]]) -> T:
    """Run async work on a gateway of this thread's own (jobs and sync routes have no running loop)."""

    async def main() -> T:
        gateway = Gateway(runtime)
        try:
            return await work(gateway)
        finally:
            await gateway.close()

    return asyncio.run(main())


async def _ask(
    gateway: Gateway,
    caller: Caller,
    *,
    document: ExtractedDocument,
    deployment: str,
    instructions: str,
    name: str,
    model: type[M],
    passages: Sequence[Passage],
    count: int = 0,
    seed: int = 0,
) -> M:
    body = prompts.chat_body(
        model=deployment,
        schema_name=name,
        schema=prompts.response_schema(model),
        system=prompts.system_message(name, instructions, count=count),
        passages=passages,
        title=document.title,
        language=document.language if document.language != "und" else None,
        seed=seed,
    )
    response = await gateway.chat(caller, parse_chat_request(body), deployment=deployment)
    choice = response.choices[0] if response.choices else None
    if choice is not None and choice.finish_reason == "content_filter":
        raise GenerationFailed("the content filter withheld the model's answer")
    # The same checks as a whole generation: complete, valid, and grounded in the passages sent.
    try:
        value, _ = replies.parse(
            model, name, choice.message.content if choice else None, choice.finish_reason if choice else None
        )
    except replies.Unusable as exc:
        raise GenerationFailed(f"{exc.reason}; try again") from None
    grounded, _ = replies.prune(value, passages)
    if grounded is None:
        raise GenerationFailed("the model's reply quoted text that is not in the source; try again")
    return grounded


def _tagged(section: Section) -> list[Passage]:
    return [p.model_copy(update={"section": section.title}) for p in section.passages]


def _sections_for_chapter(chapter: ModuleChapter, sections: list[Section]) -> list[Section]:
    titles = {lesson.title.casefold() for lesson in chapter.lessons}
    by_title = [s for s in sections if s.title and s.title.casefold() in titles]
    if by_title:
        return by_title
    pages = {c.page for lesson in chapter.lessons for c in lesson.citations}
    return [s for s in sections if any(s.first_page <= p <= s.last_page for p in pages)]


async def regenerate_chapter(
    gateway: Gateway,
    caller: Caller,
    *,
    module: Module,
    index: int,
    document: ExtractedDocument,
    deployment: str,
    instructions: str,
) -> ModuleChapter:
    """A new version of chapter `index`, written from the same source sections."""
    chapter = module.chapters[index]
    sections = _sections_for_chapter(chapter, _lesson_sections(document))
    if not sections:
        raise NothingToTeach("the source sections of this chapter could not be found")
    lessons = await asyncio.gather(
        *(
            _ask(
                gateway,
                caller,
                document=document,
                deployment=deployment,
                instructions=instructions,
                name="lesson",
                model=Lesson,
                passages=_tagged(s),
            )
            for s in sections
        )
    )
    return ModuleChapter(title=chapter.title, lessons=[_module_lesson(lesson) for lesson in lessons])


def _module_lesson(lesson: Lesson) -> ModuleLesson:
    return ModuleLesson(
        title=lesson.title,
        content="\n\n".join(p.content for p in lesson.paragraphs),
        citations=list({(c.page, c.quote): c for p in lesson.paragraphs for c in p.citations}.values()),
    )


async def regenerate_lesson(
    gateway: Gateway,
    caller: Caller,
    *,
    module: Module,
    index: int,
    lesson: int,
    document: ExtractedDocument,
    deployment: str,
    instructions: str,
) -> ModuleLesson:
    """A new version of lesson `lesson` of chapter `index`, written from the source section it came from."""
    chapter = module.chapters[index]
    alone = ModuleChapter(title=chapter.title, lessons=[chapter.lessons[lesson]])
    sections = _sections_for_chapter(alone, _lesson_sections(document))
    if not sections:
        raise NothingToTeach("the source section of this lesson could not be found")
    written = await _ask(
        gateway,
        caller,
        document=document,
        deployment=deployment,
        instructions=instructions,
        name="lesson",
        model=Lesson,
        passages=_tagged(sections[0]),
    )
    return _module_lesson(written)


async def regenerate_question(
    gateway: Gateway,
    caller: Caller,
    *,
    module: Module,
    index: int,
    document: ExtractedDocument,
    deployment: str,
    instructions: str,
) -> Question:
    """A different question from the passage the old one cites (never one the module already has)."""
    old = module.questions[index]
    sections = _lesson_sections(document)
    page = old.citation.page
    around = [s for s in sections if s.first_page <= page <= s.last_page] or sections
    taken = {" ".join(q.stem.split()).casefold() for q in module.questions}
    for seed in range(4):
        found = await _ask(
            gateway,
            caller,
            document=document,
            deployment=deployment,
            instructions=instructions,
            name="question_set",
            model=QuestionSet,
            passages=[p for s in around[:2] for p in _tagged(s)],
            count=3,
            seed=seed,
        )
        fresh = [q for q in found.questions if " ".join(q.stem.split()).casefold() not in taken]
        same_type = [q for q in fresh if q.type == old.type]
        if same_type or fresh:
            return (same_type or fresh)[0]
    raise GenerationFailed("no question different from the module's existing ones could be written")
