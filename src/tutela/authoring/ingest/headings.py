"""Headings: taken from the bookmarks where there are some, else inferred from font size and weight."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .blocks import Block

_LARGER = 1.12  # a heading's size over the body size
_MAX_HEADING_CHARS = 150
_MAX_HEADING_WORDS = 16
_MAX_LEVELS = 4
# When much of the text looks like headings (slides, forms), sizes say nothing about structure. Counted in
# characters: a short document with one paragraph under each heading still has most of its text in the body.
_MAX_HEADING_SHARE = 0.4
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    "eins|zwei|drei|vier|fünf|un|deux|trois|uno|dos|tres"
)
_ROMAN = r"[IVXLC]{1,7}"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|januar|februar|"
    "märz|juni|juli|oktober|dezember|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    "novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|"
    "diciembre"
)
# A dateline ("October 14, 1998", "14. Oktober 1998", "le 3 mars 2020", "2020-03-14") is no heading.
_DATE_LINE = re.compile(
    rf"^\W*(?:\w+,? )?(?:(?:le |el )?\d{{1,2}}\.? (?:de )?(?:{_MONTHS})|"
    rf"(?:{_MONTHS}) \d{{1,2}}(?:st|nd|rd|th)?,?)"
    rf"(?: (?:de )?\d{{4}})?\W*$|^\d{{4}}-\d{{2}}-\d{{2}}$",
    re.IGNORECASE,
)
# "CHAPTER THREE", "Part II", "Article 5", "Kapitel 2", "§ 12", optionally followed by a title.
_LABEL = re.compile(
    rf"^(?P<label>(?P<word>part|book|chapter|lecture|section|article|appendix|kapitel|teil|abschnitt|"
    rf"artikel|anhang|chapitre|partie|capítulo|capitolo|§)\s*(?:\d{{1,3}}|(?-i:{_ROMAN}|[A-Z])|{_NUMBER_WORDS})\b)"
    rf"[.:—–-]?\s*(?P<title>.*)$",
    re.IGNORECASE,
)
_LABEL_DEPTH = {"part": 0, "teil": 0, "partie": 0, "book": 0}  # above chapters; sections and articles below
_LABEL_BELOW_CHAPTER = {"section", "article", "abschnitt", "artikel", "§"}
# "2.1 Method", "3.2.1. Sampling", "III. Results", "A. Scope": the depth is the count of numbers.
_NUMBERED = re.compile(
    rf"^(?P<number>(?:\d{{1,3}}\.){{0,4}}\d{{1,3}}\.?|{_ROMAN}\.|[A-H]\.)\s+(?P<title>\S.*)$"
)


@dataclass(frozen=True, slots=True)
class Bookmark:
    """One outline entry; level 1 is the top, page counts from 1."""

    level: int
    title: str
    page: int


def body_size(blocks: Sequence[Block]) -> float:
    """The font size most of the text is set in."""
    weights: Counter[float] = Counter()
    for block in blocks:
        for line in block.lines:
            weights[round(line.size * 2) / 2] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _looks_like_heading_text(text: str) -> bool:
    visible = text.replace(" ", "")
    letters = sum(char.isalpha() for char in visible)
    return (
        2 <= len(text) <= _MAX_HEADING_CHARS
        and letters >= 2
        and letters >= 0.5 * len(visible)
        and len(text.split()) <= _MAX_HEADING_WORDS
        and text.rstrip()[-1] not in ",;"
        and not _DATE_LINE.match(text.strip())
    )


def chapter_label(text: str) -> str | None:
    """The label of a heading such as "CHAPTER THREE" or "Article 5" when that is all the text says."""
    found = _LABEL.match(text.strip())
    return found["label"] if found and not found["title"] else None


def numbering_depth(text: str) -> int | None:
    """How deep a heading's numbering puts it: 0 for a part, 1 for a chapter or "2", 2 for "2.1"; None
    when the text carries no numbering."""
    text = text.strip()
    if found := _LABEL.match(text):
        word = found["word"].lower()
        return 0 if word in _LABEL_DEPTH else 2 if word in _LABEL_BELOW_CHAPTER else 1
    if found := _NUMBERED.match(text):
        return found["number"].rstrip(".").count(".") + 1
    return None


def _heading_key(block: Block, body: float) -> tuple[float, int] | None:
    """A sort key for the block's heading rank (bigger is higher), or None for running text.

    Size ranks first; at the same size, numbering ranks "2 Method" above "2.1 Design". A numbered label on
    its own line ("CHAPTER ONE", "Article 5") or a subsection number ("2.1 Design") makes a heading even at
    the body size.
    """
    if len(block.lines) > 3 or not _looks_like_heading_text(block.text) or body <= 0:
        return None
    depth = numbering_depth(block.text)
    rank = -(1 if depth is None else depth)
    if block.size >= body * _LARGER:
        return round(block.size * 2) / 2, rank
    one_line = len(block.lines) == 1 and not block.text.endswith(".")
    if block.bold and block.size >= body * 0.95 and one_line:
        return body, rank  # bold at body size ranks below every larger size
    if chapter_label(block.text) and block.size >= body * 0.95 and len(block.lines) == 1:
        return body, rank
    if one_line and block.size >= body * 0.95 and _numbered_title(block.text):
        return body, rank
    return None


def _numbered_title(text: str) -> bool:
    """A short line numbered like a subsection ("2.1 Method") or a capitalised roman-numbered heading
    ("III. RESULTS"): a heading even at the body size, where "1. Preheat the oven" is a list item."""
    found = _NUMBERED.match(text.strip())
    if not found or len(text.split()) > 10 or not found["title"][:1].isupper():
        return False
    number = found["number"].rstrip(".")
    return "." in number or (number[:1] in "IVXLC" and found["title"].isupper())


def _text_share(blocks: Sequence[Block], indices: Iterable[int]) -> float:
    """The share of the text set in these blocks."""
    total = sum(len(block.text) for block in blocks) or 1
    return sum(len(blocks[index].text) for index in indices) / total


def infer_heading_levels(blocks: Sequence[Block]) -> dict[int, int]:
    """Map block index to heading level for blocks set apart by a larger or bold font, or by a label."""
    body = body_size(blocks)
    keys = {
        index: key for index, block in enumerate(blocks) if (key := _heading_key(block, body)) is not None
    }
    if _text_share(blocks, keys) > _MAX_HEADING_SHARE:
        keys = {index: key for index, key in keys.items() if key[0] > body}
        if _text_share(blocks, keys) > _MAX_HEADING_SHARE:
            return {}
    ranks = sorted(set(keys.values()), reverse=True)
    return {index: min(ranks.index(key) + 1, _MAX_LEVELS) for index, key in keys.items()}


def normalized_title(text: str) -> str:
    """Lower-case letters and digits only, so a bookmark matches its printed heading."""
    return re.sub(r"[\W_]+", "", text.lower())


def match_bookmark(bookmark: Bookmark, blocks: Sequence[Block], start: int) -> int | None:
    """Index of the block (from `start`) on the bookmark's page that prints its title."""
    wanted = normalized_title(bookmark.title)
    if not wanted:
        return None
    for index in range(start, len(blocks)):
        block = blocks[index]
        if block.page > bookmark.page:
            break
        if block.page < bookmark.page or len(block.text) > 2 * len(bookmark.title) + 20:
            continue
        printed = normalized_title(block.text)
        if printed and (
            printed == wanted or (len(printed) >= 4 and (printed in wanted or wanted in printed))
        ):
            return index
    return None
