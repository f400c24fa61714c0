"""Verse and list blocks: blocks whose line breaks were set on purpose and carry meaning.

Running text breaks a line only where the next word no longer fits; a poem, an address, a code listing or
a list without bullets breaks it where the author did. A line is short when the next line's first word
would still have fitted before the block's edge in its column (the right edge, or the left edge in a
right-to-left script). A block of two or more lines is verse when at least half of its lines before a
break are short and do not end a sentence. Its line breaks are kept as "\\n" inside the paragraph text
(a word hyphenated across a break is still joined); the block stays one paragraph, so a stanza or a list
remains one unit of text with its page and heading. The grounding checks compare quotes up to whitespace,
so a quote that spans a kept break verifies either way.
"""

from __future__ import annotations

import itertools
import statistics
import unicodedata
from collections.abc import Sequence

from .dehyphenation import HYPHEN_MARKS
from .lines import Line

# A line ending in one of these ends a sentence (or a heading's colon): its break says nothing.
_SENTENCE_END = ".!?…:;؟。！？"
_CLOSERS = "\"'”’»)]"
_RIGHT_TO_LEFT = frozenset(["R", "AL"])
_FIRST_RTL = "\u0590"  # Hebrew, the first right-to-left block
# Room to spare, in average character widths, for a word to count as fitting: it absorbs the error of
# estimating a word's width from the average width of its line's characters.
_SLACK_CHARS = 1.0


def _right_to_left(lines: Sequence[Line]) -> bool:
    """Whether most letters of the lines are of a right-to-left script (Arabic, Hebrew)."""
    if all(max(line.text, default=" ") < _FIRST_RTL for line in lines):
        return False  # no character of a right-to-left block at all
    letters = [char for line in lines for char in line.text if char.isalpha()]
    rtl = sum(unicodedata.bidirectional(char) in _RIGHT_TO_LEFT for char in letters)
    return rtl > len(letters) / 2


def _char_width(line: Line) -> float:
    """The average width of a line's characters, spaces included."""
    return (line.right - line.left) / max(len(line.text), 1)


def _ends_sentence(line: Line) -> bool:
    """Whether a line ends a sentence (or leads into what follows, with a colon or semicolon)."""
    text = line.text.rstrip().rstrip(_CLOSERS)
    return not text or text[-1] in _SENTENCE_END


def _fits(before: Line, after: Line, edge: float, char_width: float, *, rtl: bool) -> bool:
    """Whether the first word of `after` would have fitted on `before`'s line, which then broke on purpose."""
    words = after.text.split()
    if not words or before.text.rstrip().endswith(("-", *HYPHEN_MARKS)):
        return False  # a hyphen at the line end splits a word: that break is the typesetter's
    needed = (len(words[0]) + 1 + _SLACK_CHARS) * char_width
    room = before.left - edge if rtl else edge - before.right
    return room > needed


def _edge(line: Line, lines: Sequence[Line], *, rtl: bool) -> float:
    """The edge a line could have reached: the far edge of the block's longest line in the same column.

    A block may run on into the next column; lines of another column do not overlap this one sideways.
    The page's other lines are no guide: a figure or caption across both columns starts at the same left
    edge as the running text of the first column.
    """
    column = [other for other in lines if other.left < line.right and other.right > line.left]
    return min(other.left for other in column) if rtl else max(other.right for other in column)


def _has_geometry(line: Line) -> bool:
    return line.right > line.left and line.size > 0


def is_verse(lines: Sequence[Line]) -> bool:
    """Whether a block's line breaks carry meaning: at least half follow a short line that ends no sentence.

    Wrapped prose has next to no short lines before its last, since its lines end where the next word no
    longer fits. A poem's line as long as its longest one cannot be told from a wrapped one, so "at least
    half" and not "all"; but at least two, so that one label line ("Definition 3") above a paragraph of
    two lines does not make it verse.
    """
    if len(lines) < 2 or not all(_has_geometry(line) for line in lines):
        return False
    rtl = _right_to_left(lines)
    # The median over the block: one line's box can be wrong (a stray glyph far off, a hyphen mark).
    char_width = statistics.median(_char_width(line) for line in lines)
    # Lines that all overlap sideways are one column: they share one edge (the common case, found once).
    one_column = min(line.right for line in lines) > max(line.left for line in lines)
    shared_edge = _edge(lines[0], lines, rtl=rtl) if one_column else None
    short = sum(
        _fits(before, after, shared_edge or _edge(before, lines, rtl=rtl), char_width, rtl=rtl)
        and not _ends_sentence(before)
        for before, after in itertools.pairwise(lines)
    )
    breaks = len(lines) - 1
    return short * 2 >= breaks and short >= min(breaks, 2)
