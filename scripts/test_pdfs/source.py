"""The running text of the test documents: Mill's book, read into chapters, paragraphs and notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "benchmarks/corpus/mill-representative-government.txt"
BOOK_TITLE = "Considerations on Representative Government"
NUMBER_WORDS = [
    *("ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN", "ELEVEN", "TWELVE"),
    *("THIRTEEN", "FOURTEEN", "FIFTEEN", "SIXTEEN", "SEVENTEEN", "EIGHTEEN"),
]


# --- the source text ----------------------------------------------------------------------------------


@dataclass
class Chapter:
    numeral: str
    title: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Source:
    preface: list[str]
    chapters: list[Chapter]
    footnotes: dict[int, str]


def _markup(text: str) -> str:
    """Plain Gutenberg text to reportlab markup: italics, note markers as superscripts, dashes."""
    text = escape(" ".join(text.split()))
    text = re.sub(r"_([^_]+)_", r"<i>\1</i>", text).replace("--", "\u2014")
    return re.sub(r"\s*\[(\d+)\]", r"<super>\1</super>", text)


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    for chunk in re.split(r"\n\s*\n", "\n".join(lines)):
        text = chunk.strip()
        if not text or text == "The End":
            continue
        if re.fullmatch(r"\[\d+\]", text) and paragraphs:
            paragraphs[-1] += " " + text  # a marker the plain text put on a line of its own
        else:
            paragraphs.append(text)
    return [_markup(p) for p in paragraphs]


def read_source() -> Source:
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    preface_at = lines.index("Preface")
    contents_at = lines.index("LIST OF CONTENTS")
    notes_at = lines.index("Footnotes:")
    chapters: list[Chapter] = []
    body: list[str] = []
    for line in lines[contents_at:notes_at]:
        found = re.match(r"^Chapter ([IVXL]+)--(.*?)\.?$", line)
        if found:
            if chapters:
                chapters[-1].paragraphs = _paragraphs(body)
            chapters.append(Chapter(found[1], found[2].strip()))
            body = []
        elif chapters:
            body.append(line)
    chapters[-1].paragraphs = _paragraphs(body)
    notes = "\n".join(lines[notes_at + 1 :])
    footnotes = {
        int(m[1]): _markup(m[2])
        for m in re.finditer(r"\[Footnote (\d+): (.*?)\]\s*(?=\n\[Footnote|\Z)", notes, re.S)
    }
    return Source(_paragraphs(lines[preface_at + 1 : contents_at]), chapters, footnotes)
