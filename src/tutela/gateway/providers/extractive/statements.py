"""Statements the prose splitter leaves out: caseless scripts, lowercase texts, lines of poems and lists.

The prose splitter (sentences.py) ends a sentence only before an uppercase letter or a digit, and the strict
test (`is_usable`) wants a capital first and a final ".", "!" or "?". A document may still state things
without those. This module finds them (the question builder asks about them only when prose falls short):
- a sentence end (., !, ?, …, the Arabic question mark ؟ and full stop ۔) before a letter of a script
  without case (Arabic, Hebrew, Devanagari and others); a CJK full stop, "！" or "？" with or without a space;
- in a passage written all in lowercase, a sentence end before a lowercase letter as well;
- in a document with few sentence ends (a poem, a list), every line is a statement of its own, and a line
  too long to ask about is cut after its clause marks (, ; ، ؛ 、); where the lines were joined with spaces
  (as PDF text extraction does), a capital after a lowercase word marks the next line;
- a statement must still read as text: enough words (or characters, in scripts written without spaces),
  mostly letters, no formula, link, reference or instruction to a model.
"""

from __future__ import annotations

import re
import unicodedata

from tutela.gateway.providers.extractive.sentences import (
    LEADER,
    MATH,
    REFERENCE,
    URL,
    clean,
    is_abbreviation,
    is_instruction_like,
    is_usable,
)

TERMINALS = ".!?…؟۔。！？"
QUESTION_MARKS = "?؟？"
MAX_STATEMENT = 300  # longer sentences make unreadable questions (the prose rule uses the same bound)
_MIN_WORDS = 4
_MIN_LETTERS = 12
_MIN_UNSPACED_LETTERS = 8  # Chinese and Japanese: characters, since words are not separated
_CLOSERS = "\"'”’»)]」』"
_OPENERS = "\"'“„«([「『¿¡"
# A sentence end the prose splitter does not cut: the next letter decides (see `_cuts`); a CJK end needs none.
_END = re.compile(r"[.!?…؟۔]+[\"'”’»)\]]*(?=\s+[\"'“„«(\[]?(?P<next>[^\W\d_]))|[。！？]+[」』”’)]*")
_CLAUSE = re.compile(r"[,;،؛、]\s+")
_RUN_ON = 100  # a longer unended piece of a poem or list may be several lines joined with spaces
# Combining marks (Arabic and Devanagari vowel signs, accents written apart) are part of the written word.
MARKS = "".join(
    re.escape(chr(c)) for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")
)
_WRITTEN = re.compile(rf"[^\W\d_]|[{MARKS}]")
_DIGIT = re.compile(r"\d")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def ends_statement(text: str) -> bool:
    """Tell whether a text ends with terminal punctuation (closing quotes and brackets aside)."""
    return text.rstrip(_CLOSERS)[-1:] in tuple(TERMINALS)


def is_question(text: str) -> bool:
    """Tell whether a sentence asks rather than states (true/false and statement lists leave it out)."""
    return text.rstrip(_CLOSERS)[-1:] in tuple(QUESTION_MARKS)


def _mostly_written(text: str, share: float = 0.7) -> bool:
    """Tell whether letters and their marks make up most of the non-space characters of a text."""
    return len(_WRITTEN.findall(text)) >= share * len("".join(text.split()))


def _wordy(text: str) -> bool:
    """A piece of words rather than a formula: a few words, written mostly in letters."""
    return len(text.split()) >= _MIN_WORDS and _mostly_written(text)


def few_sentence_ends(texts: list[str]) -> bool:
    """Tell whether most pieces of text of a document end without terminal punctuation (poems, lists)."""
    pieces = [text for text in texts if _wordy(text)]
    return bool(pieces) and sum(ends_statement(p) for p in pieces) < len(pieces) / 2


def is_lowercase(text: str) -> bool:
    """Tell whether a text has letters but no capital at all (a lowercase text, or a caseless script)."""
    return not any(c.isupper() for c in text) and any(c.isalpha() for c in text)


def _cuts(text: str, language: str) -> set[int]:
    lowercase = is_lowercase(text)
    cuts = set()
    for m in _END.finditer(text):
        nxt = m["next"]
        if nxt is None:
            cuts.add(m.end())  # a CJK sentence end
            continue
        caseless = not nxt.isupper() and not nxt.islower()
        if (caseless or (lowercase and nxt.islower())) and not is_abbreviation(text, m.start(), language):
            cuts.add(m.end())
    return cuts


def _split(text: str, start: int, end: int, cuts: list[int]) -> list[tuple[int, int]]:
    """Split text[start:end] at the cuts, each piece trimmed of surrounding whitespace."""
    spans = []
    for a, b in zip([start, *cuts], [*cuts, end], strict=True):
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        if body:
            spans.append((a + lead, a + lead + len(body)))
    return spans


def _line_cuts(text: str, start: int, end: int) -> list[int]:
    """Every line end inside a span, except where a word is hyphenated across the line break."""
    cuts = []
    for m in re.finditer(r"\n", text[start:end]):
        at = start + m.start()
        if text[:at].rstrip(" \t").endswith("-") and text[at + 1 : end].lstrip()[:1].islower():
            continue
        cuts.append(at + 1)
    return cuts


def _clause_cuts(text: str, start: int, end: int) -> list[int]:
    """Cut points after clause marks, so that no piece of a long line exceeds MAX_STATEMENT if avoidable."""
    cuts = []
    last = start
    marks = [start + m.end() for m in _CLAUSE.finditer(text[start:end])]
    for i, at in enumerate(marks):
        following = marks[i + 1] if i + 1 < len(marks) else end
        if following - last > MAX_STATEMENT:
            cuts.append(at)
            last = at
    return cuts


def _capital_cuts(text: str, start: int, end: int, language: str) -> list[int]:
    """Where lines joined with spaces start anew: a capital after a lowercase word, in a long unended piece.

    Not in German, which capitalizes every noun. Each piece keeps at least a statement's number of words.
    """
    if end - start <= _RUN_ON or language == "de":
        return []
    cuts: list[int] = []
    last = start
    for m in re.finditer(r"\s+", text[start:end]):
        before, after = text[start + m.start() - 1], text[start + m.end()]
        if before.islower() and after.isupper() and len(text[last : start + m.start()].split()) >= _MIN_WORDS:
            cuts.append(start + m.end())
            last = cuts[-1]
    if cuts and len(text[cuts[-1] : end].split()) < _MIN_WORDS:
        cuts.pop()
    return cuts


def refine(
    text: str, spans: list[tuple[int, int]], language: str, *, by_line: bool
) -> list[tuple[int, int, bool]]:
    """Cut the prose splitter's spans further: caseless and lowercase sentence ends; lines when `by_line`.

    Returns (start, end, line): `line` marks a piece of a line or clause cut, a statement but never prose.
    A span that is prose already (`is_usable`) is not cut into lines.
    """
    cuts = sorted(_cuts(text, language))
    refined: list[tuple[int, int, bool]] = []
    for start, end in spans:
        for a, b in _split(text, start, end, [c for c in cuts if start < c < end]):
            if not by_line or is_usable(clean(text[a:b])):
                refined.append((a, b, False))
                continue
            lines = _split(text, a, b, _line_cuts(text, a, b))
            clauses = [c for la, lb in lines for c in _split(text, la, lb, _clause_cuts(text, la, lb))]
            pieces = [
                p for ca, cb in clauses for p in _split(text, ca, cb, _capital_cuts(text, ca, cb, language))
            ]
            refined.extend((pa, pb, len(pieces) > 1) for pa, pb in pieces)
    return refined


def is_statement(sentence: str, *, lowercase_start: bool) -> bool:
    """Tell whether a cleaned sentence or line is text to ask about, by looser rules than `is_usable`.

    `lowercase_start` allows a first letter in lowercase: lines of a poem or list, a lowercase text.
    """
    if not _MIN_LETTERS <= len(sentence) <= MAX_STATEMENT or sentence.endswith((":", "-", "–", "—")):
        return False
    unspaced = _UNSPACED.search(sentence) is not None
    if not unspaced and len(sentence.split()) < _MIN_WORDS:
        return False
    first = sentence.lstrip(_OPENERS)[:1]
    if not first.isalnum() or (first.islower() and not lowercase_start):
        return False
    letters = len(_WRITTEN.findall(sentence))  # with their marks
    visible = len("".join(sentence.split()))
    if letters < (_MIN_UNSPACED_LETTERS if unspaced else _MIN_LETTERS) or letters < 0.7 * visible:
        return False
    if len(_DIGIT.findall(sentence)) > 0.15 * visible:
        return False
    if len(MATH.findall(sentence)) > 2 or sentence.count("(") != sentence.count(")"):
        return False
    if URL.search(sentence) or REFERENCE.search(sentence) or LEADER.search(sentence):
        return False
    return not is_instruction_like(sentence)
