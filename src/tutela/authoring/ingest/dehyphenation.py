"""Joining words split across lines, only where the document itself shows the joined word is right."""

from __future__ import annotations

import re
from collections.abc import Iterable

# pdfium marks a hyphen it saw at a line end as U+FFFE (or U+0002); U+00AD is a soft hyphen.
HYPHEN_MARKS = "\ufffe\x02\xad"
_MARKED_BREAK = re.compile(rf"([^\W\d_]+)[{HYPHEN_MARKS}]\s*([^\W\d_]+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD = re.compile(r"[^\W\d_]+")
_HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
_LINE_END_HYPHEN = re.compile(rf"([^\W\d_]+)([-{HYPHEN_MARKS}])$")
_TAIL = 200
_HYPHENS = frozenset("-" + HYPHEN_MARKS)


class Vocabulary:
    """Words and hyphenated compounds seen anywhere in a document."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words: set[str] = set()
        self.compounds: set[str] = set()
        for text in texts:
            self.words.update(word.lower() for word in _WORD.findall(text))
            self.compounds.update(word.lower() for word in _HYPHENATED.findall(text))

    def join(self, left: str, right: str, *, marked: bool) -> str:
        """Join a word split by a line-end hyphen: without the hyphen unless the document says otherwise."""
        joined = f"{left}{right}"
        hyphenated = f"{left}-{right}"
        if hyphenated.lower() in self.compounds and joined.lower() not in self.words:
            return hyphenated
        if joined.lower() in self.words:
            return joined
        # pdfium marks typeset hyphenation, which is mostly syllable breaks; a plain "-" more likely belongs.
        if marked and right[:1].islower():
            return joined
        return hyphenated


def remove_marked_breaks(text: str, vocabulary: Vocabulary) -> str:
    """Resolve hyphen marks that pdfium left inside a line, and drop any that are left over."""
    text = _MARKED_BREAK.sub(lambda m: vocabulary.join(m.group(1), m.group(2), marked=True), text)
    return _CONTROL.sub("", text.translate({ord(mark): None for mark in HYPHEN_MARKS}))


def join_lines(lines: Iterable[str], vocabulary: Vocabulary, *, keep_breaks: bool = False) -> str:
    """Join the lines of one paragraph into running text, undoing line-end hyphenation.

    With `keep_breaks` (verse and lists, see verse.py) lines are joined with "\\n" instead of a space; a word
    hyphenated across a line break is joined either way.
    """
    joiner = "\n" if keep_breaks else " "
    text = ""
    for raw_line in lines:
        line = raw_line.strip()
        if not line:
            continue
        if not text:
            text = line
            continue
        # Only the end of the text so far can hold the split word: searching all of it is quadratic.
        tail = max(0, len(text) - _TAIL)
        last_word = _LINE_END_HYPHEN.search(text, tail) if text[-1] in _HYPHENS else None
        first_word = _WORD.match(line)
        if last_word and first_word:
            joined = vocabulary.join(
                last_word.group(1), first_word.group(0), marked=last_word.group(2) in HYPHEN_MARKS
            )
            text = text[: last_word.start()] + joined + line[first_word.end() :]
        else:
            text = f"{text}{joiner}{line}"
    return remove_marked_breaks(text, vocabulary)
