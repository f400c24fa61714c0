"""Grouping a page's lines into blocks, after dropping running headers, footers and page numbers."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Sequence

from .lines import Line

# Only lines this close to the top or bottom edge (as a share of page height) can be running headers;
# page numbers sit further in on pages with wide margins (LaTeX on A4).
_EDGE_BAND = 0.12
_PAGE_NUMBER_BAND = 0.2
_EDGE_LINES = 2
_HEADING_SIZE = 1.15  # a line set this much larger than the body is a heading
_PAGE_NUMBER = re.compile(
    r"^(?:page|seite|p\.|s\.)?\s*[-–—]?\s*(?:\d{1,5}|[ivxlcdm]{1,7})\s*[-–—]?\s*(?:(?:of|von|/)\s*\d{1,5})?$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^(?:[•▪◦‣∙·●■□➢►✓*–—-]|\(?\d{1,3}[.)]|\(?[a-z][.)]|\([ivx]+\))\s")
_SENTENCE_END = re.compile(r"[.!?:…\"”»)]$")


def _edge_lines(lines: Sequence[Line], page_height: float) -> list[Line]:
    """The few lines nearest the top and bottom edges, if they sit in the edge bands."""
    by_height = sorted(lines, key=lambda line: -line.top)
    candidates = [*by_height[:_EDGE_LINES], *by_height[-_EDGE_LINES:]]
    return [
        line
        for line in candidates
        if _in_band(
            line, page_height, _PAGE_NUMBER_BAND if _PAGE_NUMBER.match(line.text.strip()) else _EDGE_BAND
        )
    ]


def _in_band(line: Line, page_height: float, share: float) -> bool:
    return line.top >= page_height * (1 - share) or line.bottom <= page_height * share


def _running_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


def drop_running_lines(pages: Sequence[list[Line]], page_heights: Sequence[float]) -> list[list[Line]]:
    """Remove page numbers and headers or footers that repeat across pages."""
    edge_lines = [_edge_lines(lines, height) for lines, height in zip(pages, page_heights, strict=True)]
    seen_on = Counter(key for lines in edge_lines for key in {_running_key(line.text) for line in lines})
    # Chapter headers repeat only within their chapter, so a handful of pages is enough evidence.
    repeated = 2 if len(pages) <= 4 else 3
    # A short chapter's title may head one page only: set smaller than the body, it repeats a heading.
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[round(line.size * 2) / 2] += len(line.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    elsewhere = {
        _running_key(" ".join(line.text for line in lines[i : i + span]))
        for lines in pages
        for i, line in enumerate(lines)
        if line.size > body
        for span in (1, 2, 3)  # a heading may take a few lines
    }
    kept: list[list[Line]] = []
    for lines, edges in zip(pages, edge_lines, strict=True):
        drop = {
            id(line)
            for line in edges
            if _PAGE_NUMBER.match(line.text.strip())
            # A heading set larger than the body at the top of a page is no running head, even when the
            # running heads of the pages after it repeat its words ("Notes").
            or (seen_on[_running_key(line.text)] >= repeated and line.size < _HEADING_SIZE * body)
            or (line.size < 0.95 * body and _running_key(line.text) in elsewhere)
        }
        kept.append([line for line in lines if id(line) not in drop])
    return kept


def _typical_gap(lines: Sequence[Line]) -> float:
    """The usual white space between consecutive lines of this page."""
    gaps = [
        before.bottom - after.top
        for before, after in itertools.pairwise(lines)
        if abs(before.size - after.size) < 0.5 and 0 <= before.bottom - after.top < 2 * after.height
    ]
    return statistics.median(gaps) if gaps else 0.0


def _starts_new_block(before: Line, after: Line, typical_gap: float) -> bool:
    size = max(before.size, after.size, 1.0)
    if abs(before.size - after.size) > 0.1 * size or before.bold != after.bold:
        return True
    if _LIST_ITEM.match(after.text):
        return True
    ended = bool(_SENTENCE_END.search(before.text.rstrip()))
    if after.top > before.top + 0.5 * after.height:
        # Moved up: a new column or a float; running text continues there unless the sentence ended.
        return ended
    if before.bottom - after.top > typical_gap + 0.6 * after.height:
        return True
    indented = size * 0.6 < after.left - before.left < size * 6
    return indented and ended


def _is_caps_title(text: str) -> bool:
    """A line in capitals only, a few words long, not running on ("THE ABSTRACT NATURE OF MATHEMATICS")."""
    letters = [char for char in text if char.isalpha()]
    return (
        2 <= len(text.split()) <= 12
        and len(letters) >= 6
        and all(char.isupper() for char in letters)
        and not text.rstrip().endswith((",", ";", "-", "–"))
    )


def _opens_a_sentence(text: str) -> bool:
    return text[:1].isupper() and any(char.islower() for char in text)


def split_blocks(lines: Sequence[Line]) -> list[list[Line]]:
    """Group a page's lines into blocks: paragraphs, headings, list items, captions.

    A heading set in capitals at the body size on the line above its first sentence is a block of its own,
    never glued to that sentence.
    """
    blocks: list[list[Line]] = []
    typical_gap = _typical_gap(lines)
    for line in lines:
        glued_heading = (
            bool(blocks)
            and len(blocks[-1]) == 1
            and _is_caps_title(blocks[-1][0].text)
            and _opens_a_sentence(line.text)
        )
        if blocks and not glued_heading and not _starts_new_block(blocks[-1][-1], line, typical_gap):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def continues(before: str, after: str) -> bool:
    """Whether a block that ends a page or column runs on into the next one."""
    return not _SENTENCE_END.search(before.rstrip()) and after[:1].islower()
