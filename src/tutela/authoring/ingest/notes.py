"""Notes are not body text: markers glued to words and notes set at the foot of a page are left out.

Superscript markers are recognised by their font in lines.py; this module catches the ones that survive as
plain text ("copyrighted.4 The", "theory¹", "as shown [12].") and drops footnote blocks: text set smaller
than the body, below the last line of body text on the lower part of its page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .blocks import Block

_SUPERSCRIPT_DIGITS = re.compile(r"[¹²³⁰⁴-⁹]+(?:(?<=[^\W\d_]{3}.)|(?<=[.,;:!?)\]\"”’'].))")
# Digits glued to the punctuation that ends a word ("copyrighted.4"): a note number, unless the word is
# an abbreviation that a number follows ("pp.12", "No.5", "Fig.3").
_GLUED_NUMBER = re.compile(r"(?P<word_end>[.,;:!?\"”’)])(?<=[^\W\d_]{2}.)\d{1,3}(?=\s|$)")
_NUMBERED_ABBREVIATION = re.compile(
    r"(?:^|\W)(?:p|pp|no|nr|vol|fig|figs|ch|chap|art|sec|eq|op|ibid|cf|ed|n|nn)[.]$", re.IGNORECASE
)
# Numeric citations after a word: "[12]", "[3, 7]", "[4–6]". One that starts a block numbers a reference.
_BRACKETED = re.compile(r"(?<=\S)\s?\[\d{1,3}(?:\s?[,–-]\s?\d{1,3})*\]")

_SMALLER = 0.92  # a note's size over the body size
_LOWER_PART = 0.5  # notes sit in the lower part of the page


def strip_note_markers(text: str) -> str:
    """Body text without the note markers and numeric citations glued to its words."""
    if not text.isascii():
        text = _SUPERSCRIPT_DIGITS.sub("", text)
    if "[" in text:
        text = _BRACKETED.sub("", text)

    def unglue(match: re.Match[str]) -> str:
        before = text[max(0, match.start() - 8) : match.start() + 1]
        return match.group(0) if _NUMBERED_ABBREVIATION.search(before) else match["word_end"]

    return _GLUED_NUMBER.sub(unglue, text)


def drop_footnotes(blocks: Sequence[Block], body: float, page_heights: Sequence[float]) -> list[Block]:
    """The blocks without the notes at the foot of each page."""
    if body <= 0:
        return list(blocks)
    lowest_body: dict[int, float] = {}
    for block in blocks:
        for line in block.lines:
            if line.size >= _SMALLER * body:
                lowest_body[block.page] = min(lowest_body.get(block.page, line.bottom), line.bottom)
    kept: list[Block] = []
    for block in blocks:
        height = page_heights[block.page - 1]
        is_note = (
            block.page in lowest_body
            and all(0 < line.size < _SMALLER * body for line in block.lines)
            and max(line.top for line in block.lines) <= lowest_body[block.page]
            and block.lines[0].top < _LOWER_PART * height
        )
        if not is_note:
            kept.append(block)
    return kept
