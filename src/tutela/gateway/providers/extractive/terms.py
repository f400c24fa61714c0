"""Key terms (noun phrases, names, numbers) and definitional patterns, found lexically without a tagger.

Kinds, so that a distractor is always of the same kind as the answer it stands in for:
- "year", "percent", "number": figures in running text (not figure, section or reference numbers);
- "acronym": JIT, LIR; "name": capitalized words inside an English sentence (TraceMonkey, Apple);
- "noun": capitalized words inside a German sentence (German capitalizes every noun);
- "phrase": lowercase word runs without function words that recur in the document (trace tree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(
    r"(?<![\w.,/-])(\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?)(\s?%|\s?percent\b|\s?Prozent\b)?(?![\w/])"
)
_NUMBER_LABEL = re.compile(
    r"(figure|fig\.|table|section|sections|chapter|page|pages|line|lines|eq\.|equation|step|abbildung|"
    r"abb\.|tabelle|abschnitt|kapitel|seite|seiten|zeile|satz|lemma|beispiel|definition|theorem|korollar|"
    r"bemerkung|proposition|aufgabe|übung|gleichung|nr\.|no\.|version|v|ref\.|\[|\()\s*$",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,6}s?\b")
_CAPITALIZED = re.compile(r"\b[A-ZÄÖÜ][\wäöüß]*(?:-[\wäöüßÄÖÜ]+)*\b")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# English endings that mark a verb or adverb, and a noun (a tagger's job, done roughly).
VERBISH = re.compile(
    r"(ed|ly|ize|izes|ise|ises)$|\b(returns|becomes|contains|requires|uses|runs|takes|makes|gives|shows|means|"
    r"calls|needs|allows|exits|enters|records|compiles|executes|starts|stops|fails|reaches|jumps|occurs|"
    r"happens|provides|produces|generates|describes|remains|applies|seems|appears|follows)$"
)
NOUNISH = re.compile(r"(tion|sion|ment|ness|ity|ance|ence|er|or|ism|ure|ogy|ics|age|ware|tree|trees)$")

_WEAK_SUBJECTS = frozenset(
    [
        "this",
        "it",
        "there",
        "that",
        "these",
        "those",
        "such",
        "here",
        "thus",
        "then",
        "which",
        "what",
        "our",
        "we",
        "they",
        "he",
        "she",
        "one",
        "each",
        "dann",
        "somit",
        "also",
        "damit",
        "daher",
        "hier",
        "es",
        "dies",
        "diese",
        "dieser",
        "so",
        "nun",
        "jetzt",
        "außerdem",
        "insbesondere",
        "man",
        "wir",
        "sie",
        "er",
        "jede",
        "jeder",
        "jedes",
        "per",
        "in",
        "im",
        "mit",
        "nach",
        "für",
        "auf",
        "bei",
        "durch",
        "von",
        "zu",
        "at",
        "on",
        "for",
        "by",
        "with",
        "from",
        "as",
        "auch",
        "starting",
        "using",
    ]
)
_MATH_OR_DIGIT = re.compile(r"[=<>∈∀∃⊂⊆∪∩→↦≤≥±∞≠≈∘×∠^_{}|\\\d]")
_LEADING_FILLER = frozenset(["also", "auch", "even", "just", "only", "nur", "sogar"])


@dataclass(frozen=True, slots=True)
class Candidate:
    """A key term as it appears in a sentence's cleaned text."""

    text: str
    kind: str

    @property
    def key(self) -> str:
        """Return the form used to compare terms."""
        return fold(self.text)


@dataclass(frozen=True, slots=True)
class Definition:
    """A definitional sentence: `subject` is defined, `answer` is what the source says about it."""

    subject: str  # e.g. "A trace tree"; "Ein metrischer Raum"
    term: str  # the defined term to blank: "trace tree"; "vollständig"
    answer: str  # the defining part: "a tree of traces ..."; "wenn jede Cauchy-Folge konvergiert"
    form: str  # "is" | "called_if" | "called" | "refers"
    verb: str  # as in the sentence, to ask about it: "is", "are", "ist", "heißen"


def fold(text: str) -> str:
    """Return the case- and space-insensitive form of a term."""
    return " ".join(text.split()).casefold()


def numbers(text: str) -> list[Candidate]:
    """Return the figures of a sentence that carry content (not labels such as "Figure 3" or "[12]")."""
    found = []
    for m in _NUMBER.finditer(text):
        if _NUMBER_LABEL.search(text[max(0, m.start() - 14) : m.start()]):
            continue
        value, unit = m[1], m[2]
        if unit:
            kind = "percent"
        elif re.fullmatch(r"1[5-9]\d\d|20\d\d", value):
            kind = "year"
        else:
            kind = "number"
        found.append(Candidate(m[0], kind))
    return found


def words(text: str) -> list[str]:
    """Return the words of a text, lower-cased."""
    return [w.casefold() for w in _WORD.findall(text)]


def candidates(text: str, language: str, stop: frozenset[str]) -> list[Candidate]:
    """Return the key-term candidates of a cleaned sentence (phrases are added by the caller)."""
    found = numbers(text)
    first_word_end = len(text.split(" ", 1)[0])
    for m in _ACRONYM.finditer(text):
        if sum(c.isupper() for c in m[0]) >= 2:
            found.append(Candidate(m[0], "acronym"))
    taken = {c.text for c in found}
    kind = "noun" if language == "de" else "name"
    for m in _CAPITALIZED.finditer(text):
        word = m[0]
        if m.start() < first_word_end or word in taken or fold(word) in stop or len(word) < 3:
            continue  # the first word is capitalized anyway
        if kind == "noun" and len(word) < 4:
            continue
        found.append(Candidate(word, kind))
    return found


def phrases(text: str, stop: frozenset[str]) -> list[str]:
    """Return runs of 1-3 lowercase content words (no function words, no punctuation inside)."""
    runs: list[str] = []
    current: list[str] = []
    for token in re.findall(r"[\w'’-]+|[^\w\s]", text):
        if token.islower() and token.isalpha() and token not in stop and len(token) > 2:
            current.append(token)
            continue
        if current:
            runs.append(" ".join(current))
        current = []
    if current:
        runs.append(" ".join(current))
    out: list[str] = []
    for run in runs:
        parts = run.split()
        for n in (3, 2):
            out.extend(" ".join(parts[i : i + n]) for i in range(len(parts) - n + 1))
        out.extend(p for p in parts if len(p) >= 6 and NOUNISH.search(p))
    # Without a tagger, a run may hold a verb ("execution returns"); keep the ones without.
    return [p for p in out if not any(VERBISH.search(w) for w in p.split())]


_EN_IS = re.compile(
    r"^(?P<subject>[A-Z][^,;:()]{2,60}?) (?P<verb>is|are) (?P<answer>(?:a|an|the|one) .{8,})\.$"
)
_EN_CALLED = re.compile(
    r"^(?P<subject>[A-Z][^,;:()]{2,60}?) (?P<verb>is|are) (?:called|termed|known as|referred to as) "
    r"(?P<term>[^,;:()]{2,40}?)(?:,? (?P<answer>(?:if|when|whenever) .{5,}))?\.$"
)
_EN_REFERS = re.compile(
    r"^(?P<subject>[A-Z][^,;:()]{2,60}?) (?:refers to|means|denotes) (?P<answer>.{8,})\.$"
)
_DE_IS = re.compile(
    r"^(?P<subject>[A-ZÄÖÜ][^,;:()]{2,60}?) (?P<verb>ist|sind) (?P<answer>(?:ein|eine|der|die|das) .{8,})\.$"
)
_DE_CALLED = re.compile(
    r"^(?P<subject>[A-ZÄÖÜ][^,;:()]{2,60}?) (?P<verb>heißt|heißen) "
    r"(?P<term>[^,;:()]{2,40}?)(?:,? (?P<answer>(?:wenn|falls) .{5,}))?\.$"
)


def _subject_ok(subject: str, stop: frozenset[str]) -> bool:
    parts = subject.split()
    content = [p for p in parts if fold(p) not in stop]
    if not 1 <= len(parts) <= 6 or not content or fold(parts[0]) in _WEAK_SUBJECTS:
        return False
    return not _MATH_OR_DIGIT.search(subject)


def definition(text: str, language: str, stop: frozenset[str]) -> Definition | None:
    """Recognize "X is a Y", "X is called Y [if Z]", "X heißt Y[, wenn Z]" and similar definitions."""
    called, plain, refers = (
        (_DE_CALLED, _DE_IS, None) if language == "de" else (_EN_CALLED, _EN_IS, _EN_REFERS)
    )
    m = called.match(text)
    if m and _subject_ok(m["subject"], stop):
        term = _strip_filler(m["term"])
        form = "called_if" if m["answer"] else "called"
        if len(term.split()) <= 4 and not _MATH_OR_DIGIT.search(term):
            return Definition(m["subject"], term, m["answer"] or term, form, m["verb"])
    m = plain.match(text)
    if m and _subject_ok(m["subject"], stop):
        return Definition(m["subject"], _core(m["subject"], stop), m["answer"], "is", m["verb"])
    m = refers.match(text) if refers else None
    if m and _subject_ok(m["subject"], stop):
        return Definition(m["subject"], _core(m["subject"], stop), m["answer"], "refers", "")
    return None


def _strip_filler(term: str) -> str:
    parts = term.split()
    while len(parts) > 1 and fold(parts[0]) in _LEADING_FILLER:
        parts = parts[1:]
    return " ".join(parts)


def _core(subject: str, stop: frozenset[str]) -> str:
    """Drop leading articles and determiners: "A trace tree" -> "trace tree"."""
    parts = subject.split()
    while len(parts) > 1 and fold(parts[0]) in stop:
        parts = parts[1:]
    return " ".join(parts)
