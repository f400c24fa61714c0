"""Sentence splitting and filtering for the extractive engine.

A regex splitter (about 100x faster than pysbd here, and deterministic) that knows common English and German
abbreviations and the line structure of PDF text. Each sentence keeps its exact span in the passage, so its
`raw` text can be quoted, and a cleaned `text` (whitespace collapsed, line-end hyphens joined) to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "cf",
        "al",
        "fig",
        "figs",
        "eq",
        "eqs",
        "sec",
        "no",
        "nos",
        "approx",
        "ca",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "resp",
        "z.b",
        "d.h",
        "bzw",
        "vgl",
        "usw",
        "u.a",
        "s",
        "abb",
        "def",
        "bsp",
        "nr",
        "ggf",
        "evtl",
        "inkl",
        "bzw",
        "sog",
        "u.ä",
        "z.t",
        "o.ä",
        "max",
        "min",
        "dt",
        "engl",
        "lat",
        "bzgl",
    ]
)
# A boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then something that can
# start a sentence.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’»)\]]*(?=\s+["'“„«(\[]?[A-ZÄÖÜÀ-Þ0-9])""")
_LINE_BREAK = re.compile(r"\n")
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(?=[a-zäöüß])")
# PDF text often marks a line-end hyphenation with a soft hyphen or U+FFFE: never part of the word.
_SOFT_HYPHEN = re.compile(r"[\u00ad\ufffe\u2011]\s*")
_SPACE = re.compile(r"\s+")

URL = re.compile(r"https?://|www\.|\S+@\S+\.\w|\bdoi\b|\bISBN\b|\barXiv\b", re.IGNORECASE)
_CAPTION = re.compile(
    r"^(figure|fig\.|table|listing|algorithm|abbildung|abb\.|tabelle|algorithmus)\s*\d", re.IGNORECASE
)
REFERENCE = re.compile(
    r"^\[\d+\]|\bet al\.|\bpp\.\s*\d|\bIn Proc|\bProceedings\b|\bvol\.\s*\d|\(\d{4}\)[.,]|"
    r"\bSpringer\b|\bACM\b.*\d{4}",
)
MATH = re.compile(r"[=<>∈∉∀∃⊂⊆⊃∪∩→←↦≤≥±∑∏∫√∞≠≈∘×÷∂∇^_{}|\\]")
_GLUED_NOTE = re.compile(r"^\d+([^\W\d_]| [a-zäöü])")  # a footnote mark glued to the first word: "3Dies gilt"
_RUN_ON = re.compile(r"\b(\w{3,})\. [a-zäöü]")
LEADER = re.compile(r"\.{4,}|(?:\. ){3,}")

# Meta-instructions aimed at a model: the document may contain them (a hostile PDF) but they are never
# material for a lesson or a question.
_INSTRUCTION_LIKE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,60}\b(instructions?|prompts?|rules|guidelines|"
        r"directions|above|previous|prior|system)\b",
        r"\b(ignorier\w*|vergiss|vergessen|missachte\w*|übergeh\w*)\b.{0,60}\b(anweisung\w*|instruktion\w*|"
        r"vorgaben|regeln|prompts?|befehle|oben|vorherig\w*|bisherig\w*)\b",
        r"\b(system prompt|systemprompt|jailbreak|developer mode|prompt injection|as an ai\b|"
        r"language model)\b",
        r"\byou are (now|no longer)\b|\bdu bist (jetzt|nun|ab sofort)\b|\bfrom now on\b|\bab sofort\b",
        r"^\W*(please\s+)?(respond|reply|answer|output|print|say|write|return|repeat|reveal|translate)\b",
        r"^\W*(bitte\s+)?(antworte|gib|schreibe|sage|wiederhole|verrate|übersetze)\b",
        r"\b(assistant|chatbot|ai model|ki-modell|sprachmodell)\b",
    )
]


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of one passage: exact span (`raw`, quotable) and cleaned `text` (shown)."""

    index: int  # position in the whole corpus, in source order
    passage: int  # index of its passage
    page: int
    section: str | None
    start: int  # offset in the passage text
    raw: str
    text: str


def clean(raw: str) -> str:
    """Join words hyphenated across lines and collapse whitespace."""
    return _SPACE.sub(" ", _HYPHEN_BREAK.sub(r"\1", _SOFT_HYPHEN.sub("", raw))).strip()


def is_abbreviation(text: str, dot: int, language: str) -> bool:
    """Tell whether the period at `dot` ends an abbreviation, initial or ordinal rather than a sentence."""
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in "([\"'“„":
        word_start -= 1
    word = text[word_start:dot].lower()
    if word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():
        # An initial ("John F. Kennedy") sits between names; a variable ("von X. Dann") does not.
        before = text[:word_start].split()[-1:] or [""]
        after = text[dot + 1 :].split()[:1] or [""]
        return before[0][:1].isupper() and len(after[0]) > 1 and after[0][:1].isupper()
    # "am 3. Oktober", "Satz 1.2." — short numbers followed by a period are ordinals or enumerations.
    # German ordinals and enumerations ("am 3. Oktober", "Satz 1.2."); English has none of these.
    return language == "de" and word.replace(".", "").isdigit() and len(word.replace(".", "")) <= 2


def _line_breaks(text: str) -> list[int]:
    """Offsets where a line that looks like a heading or list item ends (short, no final punctuation)."""
    cuts = []
    lines = text.split("\n")
    widths = sorted(len(line) for line in lines if line.strip())
    typical = widths[len(widths) * 3 // 4] if widths else 0
    offset = 0
    for i, line in enumerate(lines[:-1]):
        offset += len(line) + 1
        stripped = line.rstrip()
        nxt = lines[i + 1].lstrip()
        if not stripped or not nxt:
            cuts.append(offset)  # blank line: paragraph break
            continue
        if stripped[-1] in ".!?:" or stripped.endswith("-"):
            continue  # a sentence end is found by _BOUNDARY, a hyphen joins words
        if len(stripped) < 0.6 * typical and not nxt[0].islower():
            cuts.append(offset)
    return cuts


def split_spans(text: str, language: str = "en") -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of `text`, trimmed of surrounding whitespace."""
    cuts = {m.end() for m in _BOUNDARY.finditer(text) if not is_abbreviation(text, m.start(), language)}
    cuts.update(_line_breaks(text))
    spans = []
    start = 0
    for cut in [*sorted(cuts), len(text)]:
        segment = text[start:cut]
        lead = len(segment) - len(segment.lstrip())
        body = segment.strip()
        if body:
            spans.append((start + lead, start + lead + len(body)))
        start = cut
    return spans


def is_instruction_like(text: str) -> bool:
    """Tell whether a sentence reads as an instruction to a model rather than content about the subject."""
    return any(p.search(text) for p in _INSTRUCTION_LIKE)


def is_usable(sentence: str) -> bool:
    """Tell whether a cleaned sentence is prose to teach from (not a caption, formula, reference, URL)."""
    if not 30 <= len(sentence) <= 400 or sentence[-1] not in ".!?":
        return False
    words = sentence.split()
    if not 5 <= len(words) <= 70:
        return False
    first = sentence.lstrip("\"'“„«([")[:1]
    if not (first.isupper() or first.isdigit()) or _GLUED_NOTE.match(sentence):
        return False
    visible = [c for c in sentence if not c.isspace()]
    letters = sum(c.isalpha() for c in visible)
    digits = sum(c.isdigit() for c in visible)
    if letters < 0.75 * len(visible) or digits > 0.12 * len(visible):
        return False
    if len(MATH.findall(sentence)) > 2 or sum(len(w.strip(".,;:()")) == 1 for w in words) > 0.2 * len(words):
        return False
    if sentence.count("(") != sentence.count(")"):
        return False
    if URL.search(sentence) or _CAPTION.search(sentence) or REFERENCE.search(sentence):
        return False
    if any(m[1].lower() not in _ABBREVIATIONS for m in _RUN_ON.finditer(sentence)):
        return False  # "tracing. heuristic selects": two columns or a caption run into each other
    return not LEADER.search(sentence) and not is_instruction_like(sentence)


# First words that tie a sentence to the one before it (a connective, a pronoun, a demonstrative): such a
# sentence, asked about alone, dangles ("But it ...", "Also, ..."). Per language of Tutela's templates.
_DEPENDENT_STARTS = {
    "en": "and but or so yet also however thus therefore moreover furthermore then hence he she it they his "
    "her its their this these those such there here instead nevertheless meanwhile indeed still now again "
    "besides finally next later nor anyhow anyway",
    "de": "und aber oder doch auch jedoch also daher deshalb dann er sie es ihr ihre sein seine dies diese "
    "dieser dieses dort hier trotzdem außerdem sei seien betrachte betrachten",
    "fr": "et mais ou donc aussi cependant puis il elle ils elles ce cette ces cela ceci",
    "es": "y pero o también sin embargo entonces él ella ellos ellas este esta estos estas eso esto",
    "it": "e ma o anche però quindi poi lui lei essi esse questo questa questi queste ciò",
    "pt": "e mas ou também porém então ele ela eles elas este esta estes estas isso isto",
    "nl": "en maar of ook echter dus dan hij zij ze het dit deze die dat",
}
_DEPENDENT = {lang: frozenset(words.split()) for lang, words in _DEPENDENT_STARTS.items()}
# Demonstratives anywhere in the sentence point to something said before ("die Elemente dieser Familie").
_DEMONSTRATIVES = {
    "en": "this these those",
    "de": "dies diese dieser dieses diesem diesen",
    "fr": "cette ces cela ceci",
    "es": "este esta estos estas ese esa esos esas",
    "it": "questo questa questi queste quello quella",
    "pt": "este esta estes estas esse essa esses essas",
    "nl": "deze dit",
}
_POINTING = {lang: frozenset(words.split()) for lang, words in _DEMONSTRATIVES.items()}
_ANAPHORA = re.compile(
    r"\b(?:that|the same|the following|the previous) (?:year|month|day|time)\b|\b(?:the latter|the former)\b|"
    r"\bas follows\b|\bthe following:|:$",  # pointing to a list that comes after
    re.IGNORECASE,
)
NOTE_GLUED = re.compile(r"(?<=[a-z][.,;:!?”\"’)])\d{1,3}(?=\s|$)|(?<=[a-z]{4})\d{1,2}(?=[\s.,;:]|$)")


# An endnote or footnote: numbered, citing ("Ibid.", "op. cit.", "p. 23"), or pointing elsewhere ("See ...").
NOTE = re.compile(
    r"^\d{1,3}\.?\s+(?:See|Cf|Ibid|Id|For|On|In|The|This|Quoted|Cited)\b|\b(?:Ibid|op\. cit|loc\. cit)\b|"
    r"\bpp?\. \d|^(?:See|Cf\.) "
)


# A heading run into the sentence after it ("THE ABSTRACT NATURE OF MATHEMATICS The study of ...").
_GLUED_HEADING = re.compile(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,}){2,}\b")
_LABELLED = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+)?:\s")


def stands_alone(text: str, language: str) -> bool:
    """Tell whether a sentence reads on its own: no leading connective or pronoun, no glued note number."""
    first = re.sub(r"^\W+|\W+$", "", text.split(" ", 1)[0]).casefold()
    if first in _DEPENDENT.get(language, frozenset()):
        return False
    if _LABELLED.match(text) or len(MATH.findall(text)) > 0 or _GLUED_HEADING.search(text):
        return False  # "Beweis: ...", "Hint: ...": a label, not a statement
    if not _POINTING.get(language, frozenset()).isdisjoint(w.casefold() for w in re.findall(r"\w+", text)):
        return False
    return _ANAPHORA.search(text) is None and NOTE_GLUED.search(text) is None and NOTE.search(text) is None
