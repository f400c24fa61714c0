"""Which parts of a document become lessons, and which are set aside as front or back matter.

The document is cut into sections along its headings (passages.split_document) and the sections are grouped
into chapters: chapters follow the shallowest heading level that occurs at least twice in the body, lessons
the sections below it. Set aside, and named with their pages:

- front matter: cover, title page, contents, copyright page, dedication (by heading, by what the page holds,
  or because no page before the first page of body text holds any);
- back matter: notes, references, index, editorial boards, acknowledgements, notes on contributors (by
  heading or by what the page holds), and pages after the last page of body text that hold none;
- within body text: keyword lines and similar article furniture ("Keywords: ...", "Received: ...").

A bare heading with a line under it gets no lesson of its own: it joins the section after it. Nor does a
section of lists, tables or code with no sentence of running text: it joins the lesson before it (the one
after it, at a chapter's start), where a learner reads it with the prose that introduces it. Every page of
body text (BODY_WORDS words or more) lands in a lesson or is named as set aside: `unplaced_body_pages`
checks it, and `plan_document` logs any page that would break the rule.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tutela.authoring.generation.sections import Section, split_document
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.gateway.wire.passages import Passage

logger = logging.getLogger(__name__)

BODY_WORDS = 40  # fewer words than this on a page is no page of body text (title page, chapter opening)
MIN_LESSON_CHARS = 300  # a heading with a line under it is no lesson

_FRONT_TITLE = re.compile(
    r"^[\d.\s]*((table of )?contents|inhalt(sverzeichnis)?|sommaire|table des matières|índice|"
    r"copyright( page)?|impressum|dedication|widmung|title page|cover|half[- ]title|"
    r"list of (figures|tables|abbreviations|illustrations)|abbreviations|"
    r"(abkürzungs|abbildungs|tabellen|symbol)verzeichnis|front ?matter|transcriber'?s? notes?|"
    r"(pg|project gutenberg) (boilerplate|header))[.:]?\s*$",
    re.IGNORECASE,
)
_BACK_TITLE = re.compile(
    r"^[\d.\s]*((end|foot)?notes|anmerkungen|references|bibliography|works cited|literature cited|"
    r"literatur(verzeichnis)?|quellen(verzeichnis)?|bildquellen|further reading|"
    r"(subject |name |general )?index|register|stichwortverzeichnis|sachregister|"
    r"acknowledge?ments?|danksagung|editorial board|board of editors|editors|advisory board|"
    r"about the (authors?|editors?|contributors)|notes on (the )?contributors|contributors|"
    r"author biograph(y|ies)|biographical notes?|key ?words|"
    r"appendix( [a-z\d]+)?[:.—–-]*\s*notes|back ?matter|end ?matter|colophon|"
    r"((pg|project gutenberg)(-tm)? )?(full )?licen[cs]e( agreement)?)[.:]?\s*$",
    re.IGNORECASE,
)
# Article furniture inside body text: never a source for a lesson or a question. It runs to the end of its
# line, which starts with it or where a sentence ends (a keyword line set close under the abstract).
_FURNITURE = re.compile(
    r"(?:^|(?<=[.!?] ))(key ?words|index terms|schlüsselwörter|schlagwörter|mots[- ]clés|palabras clave|"
    r"jel( classification)?( codes?)?|received|accepted|published online|corresponding author|e-?mail|doi)"
    r"\s*[:—–-][^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_NUMBER = re.compile(r"(?<![\w.,])\d{1,4}(?:[-–]\d{1,4})?(?![\w.])")
_DOT_LEADERS = re.compile(r"(?:\.\s?){4,}\s*\d{1,4}\b")
_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)[a-z]?\b")
_CITATION = re.compile(
    r"\(\d{4}[a-z]?\)|\bpp?\.\s?\d|\bvol\.|\bdoi\b|\bet al\.|\b(?:Press|Journal|Proceedings)\b|"
    r"\b[A-Z][a-z]+, [A-Z]\.|\b[A-Z][a-z]+: [A-Z][a-z]+"  # "Mill, J." and "London: Longman"
)
_AFFILIATION = re.compile(
    r"\b(universit(y|ät|é|à|ad|eit)|institute?|college|school|academy|centre|center|hospital|"
    r"laborator(y|ies))\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]{40,}[.!?](?:\s|$)")
# A sentence of running text: capitalised where a sentence may start (not a list item's bullet), ended.
_RUNNING_SENTENCE = re.compile(r"(?:^|(?<=[.!?:] )|(?<=\n))[\"'“„«(]?[^\W\d_][^.!?\n|*+•]{39,}?[.!?](?=\s|$)")
_COPYRIGHT = re.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|\bISBN\b|printed in|first published|"
    r"library of congress|cataloging",
    re.IGNORECASE,
)


@dataclass
class PlannedChapter:
    """A chapter of the module to be: its heading (None for page windows) and its lessons' sections."""

    title: str | None
    sections: list[Section] = field(default_factory=list)

    @property
    def chars(self) -> int:
        """Characters of source text in the chapter."""
        return sum(s.char_count for s in self.sections)


@dataclass(frozen=True)
class SetAside:
    """Pages that are no lesson's source, and why (front or back matter, and which kind)."""

    kind: str  # "contents", "index", ...
    first_page: int
    last_page: int


@dataclass
class Plan:
    """The chapters to write and what was set aside."""

    chapters: list[PlannedChapter]
    set_aside: list[SetAside]


def title_kind(title: str | None) -> str | None:
    """The kind of part a heading names when it is front or back matter ("contents", "index"), else None."""
    if not title:
        return None
    text = " ".join(title.split())
    found = _FRONT_TITLE.match(text) or _BACK_TITLE.match(text)
    return found[1].lower() if found else None


def page_kind(text: str) -> str | None:
    """What a page holds when it is not body text: an index, contents, references, an editorial board or
    a copyright page; None for body text (or too little text to tell)."""
    words = len(text.split())
    if words < 12:
        return None
    numbers = len(_NUMBER.findall(text))
    if numbers >= 0.25 * words and text.count(",") >= 0.15 * words:
        return "index"
    if len(_DOT_LEADERS.findall(text)) >= 4:
        return "contents"
    years = len(_YEAR.findall(text))
    # Years alone could be a page of history: a reference list also reads like citations.
    if years >= max(5, 0.04 * words) and len(_CITATION.findall(text)) >= max(3, 0.3 * years):
        return "references"
    if len(_AFFILIATION.findall(text)) >= max(4, 0.08 * words):
        return "editorial board"
    if words < 250 and len(_COPYRIGHT.findall(text)) >= 2:
        return "copyright page"
    return None


def _without_furniture(passage: Passage) -> list[Passage]:
    """The passage's text around any furniture, in pieces that are still exact substrings of its page."""
    pieces: list[Passage] = []
    start = 0
    for match in _FURNITURE.finditer(passage.text):
        if passage.text[start : match.start()].strip():
            pieces.append(passage.model_copy(update={"text": passage.text[start : match.start()]}))
        start = match.end()
    if start == 0:
        return [passage]
    if passage.text[start:].strip():
        pieces.append(passage.model_copy(update={"text": passage.text[start:]}))
    return pieces


def _with_passages(section: Section, passages: list[Passage]) -> Section:
    return section.model_copy(
        update={"passages": passages, "first_page": passages[0].page, "last_page": passages[-1].page}
    )


def _body_words(section: Section) -> dict[int, int]:
    words: dict[int, int] = {}
    for passage in section.passages:
        words[passage.page] = words.get(passage.page, 0) + len(passage.text.split())
    return words


class _Planner:
    def __init__(self, document: ExtractedDocument) -> None:
        self.page_kinds = {page.number: page_kind(page.text) for page in document.pages}
        self.set_aside: list[SetAside] = []

    def put_aside(self, kind: str, first: int, last: int) -> None:
        last_one = self.set_aside[-1] if self.set_aside else None
        if last_one and last_one.kind == kind and first <= last_one.last_page + 1:
            self.set_aside[-1] = SetAside(kind, last_one.first_page, max(last, last_one.last_page))
        else:
            self.set_aside.append(SetAside(kind, first, last))

    def body_sections(self, sections: Sequence[Section]) -> list[Section]:
        """Sections of body text, set-aside parts taken out (a back-matter heading takes its sub-headings)."""
        kept: list[Section] = []
        inside: tuple[int, str] | None = None  # (level, kind) of the set-aside part being walked
        for section in sections:
            if inside and section.title and section.level <= inside[0]:
                inside = None
            kind = title_kind(section.title)
            if kind and section.title:
                inside = (section.level, kind)
            if inside:
                self.put_aside(inside[1], section.first_page, section.last_page)
                continue
            passages: list[Passage] = []
            for passage in section.passages:
                if kind := self.page_kinds.get(passage.page):
                    self.put_aside(kind, passage.page, passage.page)
                else:
                    passages.extend(_without_furniture(passage))
            if passages:
                kept.append(_with_passages(section, passages))
        return self._trim_ends(kept)

    def _trim_ends(self, sections: list[Section]) -> list[Section]:
        """Sections before the first or after the last page of body text are front or back matter; so is a
        title block (title, authors, affiliations) with no sentence of running text."""
        has_body = [any(n >= BODY_WORDS for n in _body_words(s).values()) for s in sections]
        if not any(has_body):
            return sections  # a short document: whatever text there is, is its body
        first = next(
            (i for i, s in enumerate(sections) if has_body[i] and _is_prose(s)), has_body.index(True)
        )
        last = len(has_body) - 1 - has_body[::-1].index(True)
        for section in [*sections[:first], *sections[last + 1 :]]:
            self.put_aside("no running text", section.first_page, section.last_page)
        kept = sections[first : last + 1]
        # The title page may share the first section with the preface: it goes too.
        opening = kept[0]
        words = _body_words(opening)
        first_page = min(page for page, n in words.items() if n >= BODY_WORDS)
        if first_page > opening.first_page:
            self.put_aside("no running text", opening.first_page, first_page - 1)
            kept[0] = _with_passages(opening, [p for p in opening.passages if p.page >= first_page])
        return kept


def _is_prose(section: Section) -> bool:
    """Whether a section holds sentences of running text (a title block of names and places does not)."""
    return sum(len(_SENTENCE.findall(p.text)) for p in section.passages) >= 2


def _is_list_only(section: Section) -> bool:
    """Whether a section holds lists, tables or code but no sentence of running text."""
    return not any(
        match[0][:1].isupper() or not match[0][:1].isalpha()
        for p in section.passages
        for match in _RUNNING_SENTENCE.finditer(p.text)
    )


def _chapters(sections: list[Section]) -> list[PlannedChapter]:
    titled = [s for s in sections if s.title]
    if not titled:
        return [PlannedChapter(None, [s]) for s in sections]
    per_level: dict[int, set[str]] = {}
    for s in titled:
        per_level.setdefault(s.level, set()).add(s.title or "")
    chapter_level = next((lv for lv in sorted(per_level) if len(per_level[lv]) >= 2), max(per_level))
    chapters: list[PlannedChapter] = []
    for s in sections:
        # Text before the first chapter heading (a title, an abstract) is a chapter of its own.
        starts = not chapters or (s.title is not None and s.level <= chapter_level)
        if starts and not (chapters and chapters[-1].title == s.title):
            chapters.append(PlannedChapter(s.title))
        chapters[-1].sections.append(s)
    return chapters


def _merged(receiver: Section, giver: Section, *, before: bool) -> Section:
    passages = [*giver.passages, *receiver.passages] if before else [*receiver.passages, *giver.passages]
    return _with_passages(receiver, passages)


def _join_small(chapters: list[PlannedChapter], max_chars: int) -> list[PlannedChapter]:
    """A section too short for a lesson joins the next section (the one before, at a chapter's end); a
    section of lists only joins the one before (the next, at a chapter's start) while both fit one prompt;
    a chapter too short for one lesson joins the next chapter, one of lists only the chapter before."""
    for chapter in chapters:
        sections: list[Section] = []
        pending: Section | None = None
        for section in chapter.sections:
            if pending is not None:
                section, pending = _merged(section, pending, before=True), None
            fits_before = bool(sections) and sections[-1].char_count + section.char_count <= max_chars
            if section.char_count < MIN_LESSON_CHARS:
                pending = section
            elif _is_list_only(section) and fits_before:
                sections[-1] = _merged(sections[-1], section, before=False)
            elif _is_list_only(section) and not sections and 2 * section.char_count <= max_chars:
                pending = section
            else:
                sections.append(section)
        if pending is not None:
            if sections:
                sections[-1] = _merged(sections[-1], pending, before=False)
            else:
                sections.append(pending)
        chapter.sections = sections
    joined: list[PlannedChapter] = []
    carried: list[Section] = []
    for chapter in chapters:
        if carried:
            chapter.sections[0] = _merged(chapter.sections[0], carried[0], before=True)
            carried = []
        if chapter.chars < MIN_LESSON_CHARS and len(chapters) > 1:
            # After the section joins above, a chapter this short holds a single section.
            if chapter is not chapters[-1]:
                carried = chapter.sections
                continue
            if joined:
                joined[-1].sections[-1] = _merged(joined[-1].sections[-1], chapter.sections[0], before=False)
                continue
        lists_only = len(chapter.sections) == 1 and _is_list_only(chapter.sections[0])
        if lists_only and joined and joined[-1].sections[-1].char_count + chapter.chars <= max_chars:
            joined[-1].sections[-1] = _merged(joined[-1].sections[-1], chapter.sections[0], before=False)
            continue
        joined.append(chapter)
    return joined


def _matter(part: SetAside, middle: int) -> str:
    """Front or back matter: by kind where it tells (contents, index), else by where the part is."""
    if _BACK_TITLE.match(part.kind) or part.kind in {"index", "references", "editorial board"}:
        return "back matter"
    lists = re.search(r"list of|abbreviations|verzeichnis", part.kind)  # either end of a book
    if not lists and (_FRONT_TITLE.match(part.kind) or part.kind in {"contents", "copyright page"}):
        return "front matter"
    return "front matter" if part.last_page < middle else "back matter"


def unplaced_body_pages(document: ExtractedDocument, plan: Plan) -> list[int]:
    """Pages with body text that land in no lesson and are not named as set aside (should be none)."""
    placed = {p.page for c in plan.chapters for s in c.sections for p in s.passages}
    named = {n for part in plan.set_aside for n in range(part.first_page, part.last_page + 1)}
    return [
        page.number
        for page in document.pages
        if len(page.text.split()) >= BODY_WORDS and page.number not in placed | named
    ]


def plan_document(document: ExtractedDocument, *, max_chars: int) -> Plan:
    """The chapters and lesson sections of a document, and the parts set aside (see the module docstring)."""
    planner = _Planner(document)
    sections = planner.body_sections(split_document(document, max_chars=max_chars))
    chapters = _join_small(_chapters(sections), max_chars)
    body_pages = sorted(s.first_page for c in chapters for s in c.sections)
    middle = body_pages[len(body_pages) // 2] if body_pages else 1
    set_aside = [
        SetAside(
            part.kind
            if part.kind.replace(" ", "") in ("frontmatter", "backmatter", "endmatter")
            else f"{_matter(part, middle)}: {part.kind}",
            part.first_page,
            part.last_page,
        )
        for part in sorted(planner.set_aside, key=lambda part: part.first_page)
    ]
    plan = Plan(chapters, set_aside)
    if unplaced := unplaced_body_pages(document, plan):
        logger.warning("planning left pages with body text out of every lesson: %s", unplaced)
    return plan
