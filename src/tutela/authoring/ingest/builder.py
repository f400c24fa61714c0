"""Turning the lines of every page into the fields of an ExtractedDocument (child side, plain data)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .blocks import Block
from .dehyphenation import Vocabulary, join_lines
from .headings import Bookmark, body_size, chapter_label, infer_heading_levels, match_bookmark
from .lines import Line
from .notes import drop_footnotes, strip_note_markers
from .paragraphs import continues, drop_running_lines, split_blocks
from .verse import is_verse

# Titles that tools write into the metadata instead of the document's name.
_JUNK_TITLE = re.compile(
    r"^(untitled|unbenannt|document\d*|microsoft word - .*|"
    r".*\.(docx?|pdf|dvi|tex|graffle|indd|pptx?|odt|html?|php|aspx?))$",
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
            text = strip_note_markers(
                join_lines((line.text for line in group), vocabulary, keep_breaks=verse)
            )
            if text:
                blocks.append(Block(page=number, lines=group, text=text, verse=verse))
    return blocks


def _with_labels_joined(
    blocks: Sequence[Block], headings: dict[int, tuple[int, str | None]]
) -> dict[int, tuple[int, str | None]]:
    """Join a label heading ("CHAPTER ONE") with the title printed under it into one heading.

    The title block is kept in the map with no title of its own, so it is neither a heading nor running text.
    """
    for index in sorted(headings):
        level, label = headings[index]
        after = index + 1
        if label is None or not chapter_label(label) or after >= len(blocks):
            continue
        title_block = blocks[after]
        is_title = after in headings or (
            len(title_block.lines) <= 2
            and len(title_block.text.split()) <= 16
            and title_block.text[-1:] != "."
        )
        if title_block.page == blocks[index].page and is_title:
            title = title_block.text.replace("\n", " ")
            headings[index] = (min(level, headings.get(after, (level, None))[0]), f"{label}: {title}")
            headings[after] = (level, None)
    return headings


def _heading_blocks(
    blocks: Sequence[Block], bookmarks: Sequence[Bookmark]
) -> dict[int, tuple[int, str | None]]:
    """Block index to (level, title) for the blocks that are printed headings (title None: part of the
    heading before it)."""
    if not bookmarks:
        # A heading set on several short lines reads as one line.
        inferred: dict[int, tuple[int, str | None]] = {
            index: (level, blocks[index].text.replace("\n", " "))
            for index, level in infer_heading_levels(blocks).items()
        }
        return _with_labels_joined(blocks, inferred)
    found: dict[int, tuple[int, str | None]] = {}
    start = 0
    for bookmark in bookmarks:
        index = match_bookmark(bookmark, blocks, start)
        if index is not None:
            found[index] = (bookmark.level, bookmark.title)
            start = index + 1
    return found


def _assemble(blocks: Sequence[Block], heading_blocks: dict[int, tuple[int, str | None]]) -> _Outline:
    outline = _Outline()
    last_was_paragraph = False
    verse = False  # whether the paragraph so far keeps its line breaks
    for index, block in enumerate(blocks):
        if index in heading_blocks:
            level, title = heading_blocks[index]
            if title is None:
                continue
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
    blocks = drop_footnotes(blocks, body_size(blocks), page_heights)
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
