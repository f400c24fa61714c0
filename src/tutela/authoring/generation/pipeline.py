"""Module generation: an extracted document in, a `Module` out, every model call through the gateway.

Stages: split the document along its headings → outline → one lesson per section → question sets →
summary → assemble. Each stage is one gateway chat request (in process, the same path as HTTP) whose
`response_format` names one of Tutela's schemas (stages.py asks and checks the replies). A part that cannot
be written is left out on its own and named by its pages in the job's warnings; a module fails only when no
lesson at all can be written.

The document's structure decides what is written (structure.py): chapters follow the shallowest heading
level that occurs at least twice, lessons follow the sections below it, front and back matter get no lesson.
The outline names the chapters and may merge neighbouring ones; it can never drop text.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tutela.authoring.generation import prompts, structure
from tutela.authoring.generation.exceptions import NothingGenerated, NothingToTeach
from tutela.authoring.generation.schemas import (
    QUESTION_TYPES,
    Lesson,
    Module,
    ModuleChapter,
    ModuleLesson,
    ModuleOutline,
    OutlineChapter,
    Question,
    QuestionType,
    SourceRange,
    Summary,
)
from tutela.authoring.generation.sections import Section
from tutela.authoring.generation.stages import REFUSED, LeftOut, Progress, Run, span, tagged
from tutela.authoring.generation.timing import stretch
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.gateway.access import Caller
from tutela.gateway.pipeline import Gateway

SECTION_CHARS = 12_000  # one lesson's source; fits an 8k-token context with room for the answer
OVERVIEW_CHARS = 24_000  # what the outline and the summary see of the whole document


@dataclass
class _Chapter:
    title: str | None
    sections: list[Section] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(s.char_count for s in self.sections)


def plan_chapters(document: ExtractedDocument) -> list[list[Section]]:
    """Return the sections worth a lesson, grouped into chapters along the document's headings."""
    return [c.sections for c in _plan(document).chapters]


def _plan(document: ExtractedDocument) -> structure.Plan:
    plan = structure.plan_document(document, max_chars=SECTION_CHARS)
    if not plan.chapters:
        raise NothingToTeach("The document has no section with enough text to write a lesson from.")
    return plan


def set_aside_note(parts: Sequence[structure.SetAside], document: ExtractedDocument) -> str | None:
    """The warning naming the front and back matter no lesson is drawn from (pages, or time spans in a
    recording, and kinds only)."""
    if not parts:
        return None
    named = [stretch(document, p.first_page, p.last_page) for p in parts]
    listed = ", ".join(f"{pages} ({p.kind})" for pages, p in zip(named, parts, strict=True))
    return f"Set aside, no lesson drawn from them: {listed}"


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
    return list(zip(batches, _shares([sum(c.chars for c in b) for b in batches], total), strict=True))


def _shares(weights: list[int], total: int) -> list[int]:
    """`total` split in proportion to the weights (largest remainders first), summing to exactly `total`."""
    whole = sum(weights) or 1
    exact = [total * w / whole for w in weights]
    shares = [math.floor(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _pick(sets: list[list[Question]], shares: list[int], total: int) -> list[Question]:
    """Exactly `total` distinct questions when there are enough: each set's share first, then the others'
    extras in source order to make up for a set that came back short."""
    seen: set[str] = set()
    distinct: list[list[Question]] = []
    for found in sets:
        distinct.append([])
        for q in found:
            stem = " ".join(q.stem.split()).casefold()
            if stem not in seen:
                seen.add(stem)
                distinct[-1].append(q)
    taken = [_balanced(found, share) for found, share in zip(distinct, shares, strict=True)]
    missing = total - sum(len(t) for t in taken)
    for i, found in enumerate(distinct):
        extra = [q for q in found if q not in taken[i]][: max(0, missing)]
        taken[i] = [q for q in found if q in taken[i] or q in extra]
        missing -= len(extra)
    return [q for t in taken for q in t]


def _balanced(found: list[Question], n: int) -> list[Question]:
    """`n` of the questions in their order, dropping from the end of the most frequent type first."""
    kept = list(found)
    while len(kept) > n:
        counts = Counter(q.type for q in kept)
        most = max(counts.values())
        drop = next(i for i in reversed(range(len(kept))) if counts[kept[i].type] == most)
        del kept[drop]
    return kept


def _typed_counts(
    instructions: str, question_types: Sequence[QuestionType]
) -> dict[tuple[QuestionType, ...], int]:
    """The counts per type the instructions ask for ("5 true/false and 3 fill-in-the-blank questions"),
    within the types the prompt template allows."""
    counts: dict[tuple[QuestionType, ...], int] = {}
    for types, count in prompts.requested_types(instructions).items():
        allowed = tuple(t for t in types if not question_types or t in question_types)
        if count and allowed:
            counts[allowed] = counts.get(allowed, 0) + count
    return counts


def _shortfall(made: int, total: int, types: Sequence[str], some_left_out: bool) -> str:
    """Why fewer questions than asked for are in the module (no content)."""
    kinds = " or ".join(t.replace("_", "-") for t in types)
    why = "some were left out (see above)"
    if not some_left_out:
        why = "the source has too few passages suited to them"
    return f"{made} of the {total}{' ' + kinds if kinds else ''} questions asked for could be made: {why}"


def _lesson(lesson: Lesson, seen: set[str]) -> ModuleLesson:
    title = lesson.title
    n = 2
    while title.casefold() in seen:
        title, n = f"{lesson.title} ({n})", n + 1
    seen.add(title.casefold())
    citations = list({(c.page, c.quote): c for p in lesson.paragraphs for c in p.citations}.values())
    content = "\n\n".join(p.content for p in lesson.paragraphs)
    return ModuleLesson(title=title, content=content, citations=citations)


def _span_title(document: ExtractedDocument, first: int, last: int) -> str:
    """A stretch of the source as a title: its pages, or its time span in a recording's transcript."""
    named = stretch(document, first, last)
    return named[:1].upper() + named[1:]


def _structure_outline(document: ExtractedDocument, chapters: list[_Chapter]) -> ModuleOutline:
    """The outline the document's own headings give: its title and its planned chapters, no objectives."""
    return ModuleOutline(
        title=document.title or chapters[0].title or "Untitled document",
        learning_objectives=[],
        chapters=[
            OutlineChapter(
                title=c.title or _span_title(document, c.sections[0].first_page, c.sections[-1].last_page),
                sources=[
                    SourceRange(
                        section=c.title,
                        first_page=c.sections[0].first_page,
                        last_page=c.sections[-1].last_page,
                    )
                ],
            )
            for c in chapters
        ],
    )


ADMIN_HINT = (
    'An admin can screen documents less strictly for authoring (AI features page, "Documents in '
    "authoring\"; authoring_document_filter in PATCH /api/org) or change the deployment's content filter"
)


def _nothing_written(reasons: list[str], document: ExtractedDocument) -> str:
    """Why no lesson could be written, and what to do about it."""
    if reasons and all(r == REFUSED for r in reasons):
        return (
            f"Nothing could be generated: the content filter refused the text of every section "
            f"({stretch(document, 1, document.page_count)}). {ADMIN_HINT}."
        )
    worst = max(set(reasons), key=reasons.count)
    return (
        f"Nothing could be generated: for every section, {worst}. Try again, or generate with another "
        "deployment (a model that follows JSON schemas)."
    )


async def generate_module(
    *,
    gateway: Gateway,
    caller: Caller,
    document: ExtractedDocument,
    deployment: str = "extractive",
    instructions: str = "",
    progress: Progress | None = None,
    left_out: list[str] | None = None,
    question_types: Sequence[QuestionType] = (),
    with_questions: bool = True,
) -> Module:
    """Write a module (outline, lessons, questions, summary) from a document through the gateway.

    Any part the content filter refuses, or whose replies stay unusable after one retry, is left out on
    its own: a refused outline gives way to the document's headings, a refused lesson or question set
    costs only its section. A sentence per part left out (pages only, no content) is appended to
    `left_out`, after one naming the front and back matter set aside. Only when no lesson at all can be
    written does the module fail (`NothingGenerated`).

    Questions: exactly the number the instructions ask for (else about three for every five pages), of
    `question_types` only when given; when fewer can be made, a sentence in `left_out` says how many and why.
    """
    typed = _typed_counts(instructions, question_types)
    if not question_types:
        named = prompts.requested_types(instructions)
        question_types = [t for t in QUESTION_TYPES if any(t in types for types in named)]
    run = Run(
        gateway=gateway,
        caller=caller,
        document=document,
        deployment=deployment,
        instructions=instructions,
        progress=progress,
        question_types=question_types,
    )
    run.report("split", 0.0)
    plan = _plan(document)
    chapters = [_Chapter(chapter.title, chapter.sections) for chapter in plan.chapters]
    if note := set_aside_note(plan.set_aside, document):
        run.left_out.append(note)
    by_chapter = [[tagged(s, c.title) for s in c.sections] for c in chapters]
    overview = prompts.condense([p for group in by_chapter for p in group], OVERVIEW_CHARS)
    run.report("outline", 0.05)
    outline: ModuleOutline | None = None
    outline_problem = ""
    try:
        outline = await run.ask("outline", "module_outline", ModuleOutline, overview, part="The outline")
    except LeftOut as exc:
        outline_problem = exc.reason
    else:
        if outline is None:
            raise NothingToTeach("The document has no running text to write a module from.")

    run.report("lessons", 0.15)
    jobs = [run.lesson_for(s) for c in chapters for s in c.sections]
    lessons = iter(await run.gather(jobs, "lessons", 0.15, 0.7))
    written: list[tuple[_Chapter, list[ModuleLesson], list[Section]]] = []
    for chapter in chapters:
        seen: set[str] = set()
        pairs = [(s, lesson) for s in chapter.sections if (lesson := next(lessons)) is not None]
        if pairs:
            written.append((chapter, [_lesson(le, seen) for _, le in pairs], [s for s, _ in pairs]))
    if not written and not run.reasons:
        raise NothingToTeach("The document has no section with enough text to write a lesson from.")
    if not written:
        raise NothingGenerated(_nothing_written(run.reasons, document))
    # What the summary (and a second outline) may see: the sections whose lessons could be written.
    if run.reasons:
        overview = prompts.condense(
            [tagged(s, chapter.title) for chapter, _, sections in written for s in sections], OVERVIEW_CHARS
        )
    if outline is None and run.reasons:
        with contextlib.suppress(LeftOut):
            outline = await run.ask("outline", "module_outline", ModuleOutline, overview, part="The outline")
    if outline is None:
        outline = _structure_outline(document, [c for c, _, _ in written])
        run.note("The outline", f"{outline_problem}; the chapters follow the document's own headings")

    module_chapters: list[ModuleChapter] = []
    last_match = -1
    for chapter, chapter_lessons, _ in written:
        match = _match(outline, chapter)
        if match == last_match and module_chapters:
            # The outline merged these chapters; lesson titles stay as written (they name their sections).
            module_chapters[-1].lessons.extend(chapter_lessons)
            continue
        last_match = match
        module_chapters.append(ModuleChapter(title=outline.chapters[match].title, lessons=chapter_lessons))

    requested = sum(typed.values()) if typed else prompts.requested_question_count(instructions)
    if requested and requested > prompts.MAX_QUESTIONS:
        run.left_out.append(
            f"{requested} questions were asked for; a module holds at most {prompts.MAX_QUESTIONS}, "
            f"so {prompts.MAX_QUESTIONS} were asked of the model"
        )
        requested = prompts.MAX_QUESTIONS
    total = requested or min(prompts.MAX_QUESTIONS, max(5, math.ceil(0.6 * document.page_count)))
    batches = _question_batches(chapters, total) if with_questions else []
    # Each set is asked for a few more than its share: some may repeat another set's or be left out. With
    # a count per type, enough that the type asked for most can fill its share when types come mixed.
    scale = len(question_types) * max(typed.values()) / total if typed else 1.0
    sets = await run.gather(
        [
            run.questions_from(
                [s for c in batch for s in c.sections],
                math.ceil(share * max(1.0, scale)) + max(2, share // 4),
                f"questions {i + 1} of {len(batches)}",
            )
            for i, (batch, share) in enumerate(batches)
        ],
        "questions",
        0.7,
        0.9,
    )
    shares = [share for _, share in batches]
    questions: list[Question] = []
    for types, count in (typed or {tuple(question_types): total}).items():
        wanted = [[q for q in found if not types or q.type in types] for found in sets]
        picked = _pick(wanted, _shares(shares, count), count)
        questions += picked
        if with_questions and len(picked) < count and (requested or question_types):
            run.left_out.append(_shortfall(len(picked), count, types, run.questions_left_out > 0))

    run.report("summary", 0.9)
    summary: Summary | None = None
    try:
        summary = await run.ask("summary", "summary", Summary, overview, part="The summary")
    except LeftOut as exc:
        run.note(f"The summary of {span(document, overview)}", exc.reason)
    run.report("assemble", 0.98)
    module = Module(
        title=outline.title,
        language=document.language if re.fullmatch(r"[a-z]{2}", document.language) else "und",
        learning_objectives=outline.learning_objectives,
        chapters=module_chapters,
        summary=summary.content if summary else "",
        questions=questions,
    )
    if left_out is not None:
        left_out.extend(run.left_out)
    run.report("done", 1.0)
    return module
