"""Text lines of one PDF page, with the font facts heading and paragraph detection need (child side)."""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

# pdfium ends a visual line with CRLF; a lone CR or LF also occurs in odd files.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Font names of bold faces: "Arial-BoldMT", "NimbusRomNo9L-Medi", TeX's "CMBX10", "Foo,Bold", ...
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|medi|cmbx|cmssbx|[-,+]b\b", re.IGNORECASE)
_BOLD_WEIGHT = 600
_FONT_NAME_BUFFER = 128
_NAME_BUFFER = ctypes.create_string_buffer(_FONT_NAME_BUFFER)  # reused: the parser runs one page at a time
# A note marker: up to three digits or a dagger glued to a word or to punctuation ("theory.²"); after a
# word of one or two letters it is more likely an exponent ("x²", "cm²"), which stays.
_MARKER_CANDIDATE = re.compile(r"(?:(?<=[^\W\d_]{3})|(?<=[.,;:!?)\]\"”’']))(?:\d{1,3}|[*†‡§]{1,2})(?!\d)")
# Set this much smaller than the text before it, or raised this far above its baseline, it is a superscript.
_SUPERSCRIPT_SIZE = 0.85
_SUPERSCRIPT_RISE = 0.25


@dataclass(slots=True)
class Line:
    """One visual line: its text and where and how it is set."""

    text: str
    size: float
    bold: bool
    left: float
    right: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        """Line height in points, never zero so ratios stay defined."""
        return max(self.top - self.bottom, self.size * 0.5, 1.0)


@dataclass(slots=True)
class _CharFacts:
    size: float
    bold: bool
    left: float
    right: float
    top: float
    bottom: float


def _char_facts(textpage: Any, char_index: int) -> _CharFacts | None:
    if char_index < 0:
        return None
    size = float(pdfium_c.FPDFText_GetFontSize(textpage, char_index))
    weight = int(pdfium_c.FPDFText_GetFontWeight(textpage, char_index))
    name_buffer = _NAME_BUFFER
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage, char_index, name_buffer, _FONT_NAME_BUFFER, ctypes.byref(flags))
    name = name_buffer.value.decode("latin-1", errors="replace")
    box = pdfium_c.FS_RECTF()
    # The loose box spans the font's ascent and descent, so every glyph on a line gets the same height.
    if not pdfium_c.FPDFText_GetLooseCharBox(textpage, char_index, box):
        return None
    bold = weight >= _BOLD_WEIGHT or bool(_BOLD_NAME.search(name))
    return _CharFacts(size, bold, float(box.left), float(box.right), float(box.top), float(box.bottom))


def _segments(text: str) -> list[tuple[int, int]]:
    """(start, end) text indices of the non-blank part of each pdfium line."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*_LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        segment = text[start:end]
        stripped = segment.strip()
        if stripped:
            lead = len(segment) - len(segment.lstrip())
            spans.append((start + lead, start + lead + len(stripped)))
        if match:
            start = match.end()
    return spans


def _is_superscript(textpage: Any, text_index: int) -> bool:
    """Whether the character at `text_index` is set smaller or higher than the character before it."""
    before = int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, text_index - 1))
    marker = int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, text_index))
    if before < 0 or marker < 0:
        return False
    size_before = float(pdfium_c.FPDFText_GetFontSize(textpage, before))
    size = float(pdfium_c.FPDFText_GetFontSize(textpage, marker))
    if size_before <= 0:
        return False
    if size < _SUPERSCRIPT_SIZE * size_before:
        return True
    x, y_before, y = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, before, ctypes.byref(x), ctypes.byref(y_before))
    pdfium_c.FPDFText_GetCharOrigin(textpage, marker, ctypes.byref(x), ctypes.byref(y))
    return y.value - y_before.value > _SUPERSCRIPT_RISE * size_before


def _without_note_markers(textpage: Any, text: str, start: int, end: int) -> str:
    """The text from `start` to `end` without the superscript note markers glued to its words."""
    segment = text[start:end]
    markers = [
        match.span()
        for match in _MARKER_CANDIDATE.finditer(segment)
        if _is_superscript(textpage, start + match.start())
    ]
    for lo, hi in reversed(markers):
        segment = segment[:lo] + segment[hi:]
    return segment


def read_lines(textpage: Any) -> list[Line]:
    """Lines of a pdfium text page in content order, pieces of one visual line joined."""
    text = str(textpage.get_text_range(errors="replace"))
    lines: list[Line] = []
    for start, end in _segments(text):
        # Facts come from the first letter or digit, so a bullet or quote in another font does not count.
        first_word = next((start + i for i, char in enumerate(text[start:end]) if char.isalnum()), start)
        first = _char_facts(textpage, int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, first_word)))
        box_start = (
            first
            if first_word == start
            else _char_facts(textpage, int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, start)))
        )
        last = _char_facts(textpage, int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, end - 1)))
        segment = _without_note_markers(textpage, text, start, end)
        if first is None or last is None or box_start is None:
            if lines:  # no geometry: treat it as the continuation of the line before
                lines[-1].text += " " + segment
            else:
                lines.append(Line(segment, 0.0, False, 0.0, 0.0, 0.0, 0.0))
            continue
        line = Line(
            text=segment,
            size=first.size,
            bold=first.bold and last.bold,
            left=min(box_start.left, last.left),
            right=max(first.right, last.right),
            top=max(first.top, last.top),
            bottom=min(first.bottom, last.bottom),
        )
        if lines and _same_visual_line(lines[-1], line):
            _extend(lines[-1], line)
        else:
            lines.append(line)
    return lines


def _same_visual_line(before: Line, after: Line) -> bool:
    middle = (after.top + after.bottom) / 2
    gap = after.left - before.right
    # A wide gap at the same height is a column gutter or a table cell, not a word space.
    return before.bottom <= middle <= before.top and -1.0 <= gap <= 1.5 * max(before.size, 1.0)


def _extend(before: Line, after: Line) -> None:
    joiner = "" if before.text.endswith(" ") or after.text[:1] in ",.;:)]" else " "
    before.text += joiner + after.text
    before.right = after.right
    before.top = max(before.top, after.top)
    before.bottom = min(before.bottom, after.bottom)
    before.bold = before.bold and after.bold
