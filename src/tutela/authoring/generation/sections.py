"""How a long document is cut into sections that each fit one prompt (by headings, else windows of pages).

The passages travel to the model in the wire format of `tutela.gateway.wire.passages`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from tutela.authoring.ingest.document import ExtractedDocument, Heading
from tutela.gateway.wire.passages import Passage


class Section(BaseModel):
    """A stretch of the document that fits one prompt: a heading's part, or a window of pages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str | None  # None for page windows of a document without headings
    level: int = Field(ge=0)  # 0 for front matter and page windows
    first_page: int = Field(ge=1)
    last_page: int = Field(ge=1)
    passages: list[Passage]

    @property
    def char_count(self) -> int:
        """Return the number of characters of text in the section."""
        return sum(len(p.text) for p in self.passages)


def _anchor(doc: ExtractedDocument, heading: Heading) -> tuple[int, int]:
    """Locate a heading as (page, offset) in the page text; the page start when it cannot be found."""
    page_text = doc.pages[heading.page - 1].text if heading.page <= len(doc.pages) else ""
    words = re.findall(r"\w+", heading.title)
    if not words or not page_text:
        return heading.page, 0
    pattern = re.compile(r"\W*".join(re.escape(w) for w in words), re.IGNORECASE)
    matches = [m.start() for m in pattern.finditer(page_text)]
    at_line_start = [s for s in matches if s == 0 or page_text[s - 1] == "\n"]
    first_line_end = page_text.find("\n")
    # A running header repeats a chapter title on the first line of each page; the heading comes later.
    if len(at_line_start) > 1 and 0 <= at_line_start[0] < max(first_line_end, 0):
        return heading.page, at_line_start[1]
    if at_line_start:
        return heading.page, at_line_start[0]
    return heading.page, matches[0] if matches else 0


def _slice_passages(
    doc: ExtractedDocument, start: tuple[int, int], end: tuple[int, int], section: str | None, max_chars: int
) -> list[Passage]:
    """Cut the text from `start` to `end` (both (page, offset)) into per-page passages of <= max_chars."""
    passages: list[Passage] = []
    for number in range(start[0], min(end[0], len(doc.pages)) + 1):
        text = doc.pages[number - 1].text
        lo = start[1] if number == start[0] else 0
        hi = end[1] if number == end[0] else len(text)
        for piece in _pieces(text[lo:hi], max_chars):
            if piece.strip():
                passages.append(Passage(page=number, text=piece, section=section))
    return passages


def _pieces(text: str, max_chars: int) -> Iterable[str]:
    """Split a page's text at paragraph, line or sentence breaks into pieces of at most max_chars."""
    while len(text) > max_chars:
        window = text[:max_chars]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(". "))
        cut = cut + 1 if cut > max_chars // 4 else max_chars
        yield text[:cut]
        text = text[cut:]
    yield text


def _windows(doc: ExtractedDocument, max_chars: int) -> list[Section]:
    """Group consecutive pages into sections of at most max_chars (one page may exceed it and is split)."""
    sections: list[Section] = []
    group: list[int] = []
    size = 0

    def flush() -> None:
        if group:
            passages = _slice_passages(
                doc, (group[0], 0), (group[-1], len(doc.pages[group[-1] - 1].text)), None, max_chars
            )
            if passages:
                sections.append(
                    Section(title=None, level=0, first_page=group[0], last_page=group[-1], passages=passages)
                )

    for page in doc.pages:
        if group and size + len(page.text) > max_chars:
            flush()
            group, size = [], 0
        group.append(page.number)
        size += len(page.text)
    flush()
    return sections


def _split_range(
    doc: ExtractedDocument,
    start: tuple[int, int],
    end: tuple[int, int],
    title: str | None,
    level: int,
    inner: list[tuple[tuple[int, int], Heading]],
    max_chars: int,
) -> list[Section]:
    """Make one section of a heading's range, or split it along its sub-headings when it is too long."""
    passages = _slice_passages(doc, start, end, title, max_chars)
    if not inner or sum(len(p.text) for p in passages) <= max_chars:
        return _chunk(passages, title, level, max_chars)
    return _split_children(doc, start, end, title, level, inner, max_chars)


def _split_children(
    doc: ExtractedDocument,
    start: tuple[int, int],
    end: tuple[int, int],
    title: str | None,
    level: int,
    inner: list[tuple[tuple[int, int], Heading]],
    max_chars: int,
) -> list[Section]:
    """Split a range at its highest-level headings; text before the first one keeps the range's title."""
    top = min(h.level for _, h in inner)
    children = [(a, h) for a, h in inner if h.level == top]
    sections: list[Section] = []
    if children[0][0] > start:
        # Text before the first child keeps the range's title, split along the deeper headings in it.
        lead_inner = [(a, h) for a, h in inner if a < children[0][0]]
        sections.extend(_split_range(doc, start, children[0][0], title, level, lead_inner, max_chars))
    for i, (anchor, heading) in enumerate(children):
        child_end = children[i + 1][0] if i + 1 < len(children) else end
        nested = [(a, h) for a, h in inner if anchor < a < child_end and h.level > top]
        sections.extend(_split_range(doc, anchor, child_end, heading.title, heading.level, nested, max_chars))
    return sections


def _chunk(passages: list[Passage], title: str | None, level: int, max_chars: int) -> list[Section]:
    """Pack passages into sections of at most max_chars each, in order, all under the same title."""
    sections: list[Section] = []
    group: list[Passage] = []
    for passage in passages:
        if group and sum(len(p.text) for p in group) + len(passage.text) > max_chars:
            sections.append(_section(group, title, level))
            group = []
        group.append(passage)
    if group:
        sections.append(_section(group, title, level))
    return sections


def _section(passages: list[Passage], title: str | None, level: int) -> Section:
    return Section(
        title=title, level=level, first_page=passages[0].page, last_page=passages[-1].page, passages=passages
    )


def split_document(doc: ExtractedDocument, max_chars: int = 12_000) -> list[Section]:
    """Split a document along its headings (else into page windows), each section <= max_chars of text."""
    if max_chars < 200:
        raise ValueError("max_chars must be at least 200")
    headings = [h for h in doc.headings if h.page <= len(doc.pages) and h.title.strip()]
    if not headings:
        return _windows(doc, max_chars)
    anchored = sorted(((_anchor(doc, h), h) for h in headings), key=lambda item: item[0])
    doc_end = (len(doc.pages), len(doc.pages[-1].text))
    # Chapters follow the top-level headings even when the whole document would fit in one section.
    return _split_children(doc, (1, 0), doc_end, None, 0, anchored, max_chars)
