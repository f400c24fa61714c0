"""Turning the lines of every page into the fields of an ExtractedDocument (child side, plain data)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .blocks import Block
from .dehyphenation import Vocabulary, join_lines
from .headings import Bookmark, infer_heading_levels, match_bookmark
from .lines import Line
from .paragraphs import continues, drop_running_lines, split_blocks
from .verse import is_verse

# Titles that tools write into the metadata instead of the document's name.
_JUNK_TITLE = re.compile(
    r"^(untitled|unbenannt|document\d*|microsoft word - .*|.*\.(docx?|pdf|dvi|tex|graffle|indd|pptx?|odt))$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Outline:
    paragraphs: list[dict[str, Any]] = field(default_factory=list)
    headings: list[dict[str, Any]] = field(default_factory=list)


def _make_blocks(pages: Sequence[list[Line]], vocabulary: Vocabulary) -> list[Block]:
    blocks: list[Block] = []
    for number, lines in enumerate(pages, start=1):
        for group in split_blocks(lines):
            verse = is_verse(group)
            text = join_lines((line.text for line in group), vocabulary, keep_breaks=verse)
            if text:
                blocks.append(Block(page=number, lines=group, text=text, verse=verse))
    return blocks


def _heading_blocks(blocks: Sequence[Block], bookmarks: Sequence[Bookmark]) -> dict[int, tuple[int, str]]:
    """Block index to (level, title) for the blocks that are printed headings."""
    if not bookmarks:
        # A heading set on several short lines reads as one line.
        return {
            index: (level, blocks[index].text.replace("\n", " "))
            for index, level in infer_heading_levels(blocks).items()
        }
    found: dict[int, tuple[int, str]] = {}
    start = 0
    for bookmark in bookmarks:
        index = match_bookmark(bookmark, blocks, start)
        if index is not None:
            found[index] = (bookmark.level, bookmark.title)
            start = index + 1
    return found


def _assemble(blocks: Sequence[Block], heading_blocks: dict[int, tuple[int, str]]) -> _Outline:
    outline = _Outline()
    last_was_paragraph = False
    verse = False  # whether the paragraph so far keeps its line breaks
    for index, block in enumerate(blocks):
        if index in heading_blocks:
            level, title = heading_blocks[index]
            outline.headings.append(
                {
                    "level": level,
                    "title": title,
                    "page": block.page,
                    "paragraph_index": len(outline.paragraphs),
                }
            )
            last_was_paragraph = False
            continue
        previous = outline.paragraphs[-1] if outline.paragraphs else None
        first_on_page = index == 0 or blocks[index - 1].page != block.page
        if previous and last_was_paragraph and first_on_page and continues(previous["text"], block.text):
            joiner = "\n" if verse or block.verse else " "
            previous["text"] = f"{previous['text']}{joiner}{block.text}"
            verse = verse or block.verse
        else:
            outline.paragraphs.append({"page": block.page, "text": block.text})
            verse = block.verse
        last_was_paragraph = True
    return outline


def _bookmark_headings(bookmarks: Sequence[Bookmark], outline: _Outline) -> None:
    """Use every bookmark as a heading; one not found in the text points at its page's first paragraph."""
    printed = {(heading["title"], heading["page"]): heading for heading in outline.headings}
    first_on_page: dict[int, int] = {}
    for index, paragraph in enumerate(outline.paragraphs):
        first_on_page.setdefault(paragraph["page"], index)
    headings: list[dict[str, Any]] = []
    # Walk backwards so an unprinted bookmark never points past the heading that follows it.
    following = len(outline.paragraphs)
    for bookmark in reversed(bookmarks):
        heading = printed.pop((bookmark.title, bookmark.page), None)
        if heading is None:
            on_page = min(
                (i for page, i in first_on_page.items() if page >= bookmark.page), default=following
            )
            heading = {
                "level": bookmark.level,
                "title": bookmark.title,
                "page": bookmark.page,
                "paragraph_index": min(on_page, following),
            }
        following = min(following, heading["paragraph_index"])
        headings.append(heading)
    headings.reverse()
    for before, after in itertools.pairwise(headings):
        after["paragraph_index"] = max(after["paragraph_index"], before["paragraph_index"])
    outline.headings = headings


def _choose_title(metadata_title: str | None, headings: Sequence[dict[str, Any]]) -> str | None:
    title = re.sub(r"\s+", " ", metadata_title or "").strip()
    if title and not _JUNK_TITLE.match(title):
        return title
    if not headings:
        return None
    top = min(heading["level"] for heading in headings[:5])
    return str(next(heading["title"] for heading in headings if heading["level"] == top))


def build_document(
    pages: Sequence[list[Line]],
    page_heights: Sequence[float],
    bookmarks: Sequence[Bookmark],
    metadata_title: str | None,
) -> dict[str, Any]:
    """The JSON-ready ExtractedDocument fields, with language left for the caller to detect."""
    pages = drop_running_lines(pages, page_heights)
    vocabulary = Vocabulary(line.text for lines in pages for line in lines)
    blocks = _make_blocks(pages, vocabulary)
    outline = _assemble(blocks, _heading_blocks(blocks, bookmarks))
    if bookmarks:
        _bookmark_headings(bookmarks, outline)
    for heading in outline.headings:
        if heading["paragraph_index"] >= len(outline.paragraphs):
            heading["paragraph_index"] = None
    page_texts: list[list[str]] = [[] for _ in pages]
    for block in blocks:
        page_texts[block.page - 1].append(block.text)
    return {
        "title": _choose_title(metadata_title, outline.headings),
        "language": "und",
        "page_count": len(pages),
        "pages": [
            {"number": number, "text": "\n\n".join(texts)} for number, texts in enumerate(page_texts, start=1)
        ],
        "paragraphs": outline.paragraphs,
        "headings": outline.headings,
        "headings_source": "bookmarks" if bookmarks else ("fonts" if outline.headings else "none"),
    }
