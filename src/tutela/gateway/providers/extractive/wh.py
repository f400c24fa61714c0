"""Real questions from a parsed English sentence: who / what / when / where / how many / why.

Each question is built from the main clause's structure (spaCy's dependency parse and entities):
- subject: "Microsoft founded the lab." -> "Who/What founded the lab?" (answer: the subject);
- time: "... in 1996" -> "In what year did ...?" / "When did ...?" (a date in a prepositional phrase);
- place: "... in Seattle" -> "Where did ...?" (a place in a prepositional phrase of the verb);
- quantity: "The library holds 20,000 books." -> "How many books does the library hold?";
- cause: "... because Y." -> "Why did ...?" (answer: the because-clause);
- object: "Microsoft bought GitHub." -> "What did Microsoft buy?" (a named or multi-word object).
Inversion uses the clause's own auxiliary, the copula, or do-support with the verb's lemma.

A clause is asked about only when it is self-contained (see `clause_start` and `self_contained`): a
leading connective ("But", "Also,", "However,") is dropped; a personal pronoun, a first- or second-person
word, or a demonstrative ("that year", "these results") whose referent lies outside the stem rejects the
sentence. Every answer is a verbatim span of the sentence, so its quote supports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tutela.gateway.providers.extractive.english_words import (
    ANAPHORIC,
    CONNECTIVE_PHRASES,
    CONNECTIVES,
    DEMONSTRATIVES,
    HUMAN_VERBS,
    PERSONAL,
    PRONOUNS,
    QUANTIFIERS,
)
from tutela.gateway.providers.extractive.sentences import MATH
from tutela.gateway.providers.extractive.sentences import NOTE_GLUED as _GLUED_NOTE

Token = Any  # spacy.tokens.Token; spaCy's types are not needed at this seam

_WH_PREPOSITIONS = frozenset(["in", "on", "during", "at"])
_PLACE_PREPOSITIONS = frozenset(["in", "at", "near"])
_PLACE_LABELS = frozenset(["GPE", "LOC", "FAC"])
_MAX_ANSWER_TOKENS = 12
_ASIDE_BRACES = re.compile(r"[{}\[\]]")
_MAX_STEM = 170
_MAX_STEM_WORDS = 26
_ASIDE = re.compile(r"[():;\[\]]|\b(?:e\.g|i\.e|cf|etc)\b\.?")  # asides and lists make stems unreadable


@dataclass(frozen=True, slots=True)
class Ask:
    """A question on one sentence: stem, verbatim answer, the answer's kind and the question's focus."""

    stem: str
    answer: str
    kind: str  # person | organization | place | group | year | date | number | thing | cause
    focus: str  # subject | object | time | place | quantity | cause
    label: str  # the answer's entity label ("" for a plain noun phrase)
    plural: bool


def has_glued_note(text: str) -> bool:
    """Tell whether a footnote number is glued to a word ("copyrighted.4", "patents12 and")."""
    return _GLUED_NOTE.search(text) is not None


def without_notes(text: str) -> str:
    """Remove footnote numbers glued to words, for text shown in a stem."""
    return _GLUED_NOTE.sub("", text)


def clause_start(doc: Any) -> int | None:
    """Index of the first token after a leading connective ("But", "Also,"); None if nothing is left."""
    i = 0
    lead = doc[:4].text.casefold()
    for phrase in CONNECTIVE_PHRASES:
        if lead.startswith(phrase + " ,") or lead.startswith(phrase + ","):
            i = len(phrase.split())
    while i < len(doc) and (
        (doc[i].lower_ in CONNECTIVES and doc[i].dep_ in ("cc", "advmod", "discourse")) or doc[i].text == ","
    ):
        i += 1
    if i >= len(doc) - 2 or not doc[i].text[:1].isalnum():
        return None
    return i


def self_contained(tokens: list[Token]) -> bool:
    """Tell whether words needing an outside referent are absent (or their referent comes first)."""
    text = " ".join(t.text for t in tokens)
    if ANAPHORIC.search(text):
        return False
    seen_name = False
    for t in tokens:
        word = t.lower_
        if word in PERSONAL and t.tag_.startswith("PRP"):
            return False
        if word in PRONOUNS and t.tag_.startswith("PRP") and not seen_name:
            return False
        if (
            word in DEMONSTRATIVES
            and t.tag_ == "DT"
            and t.dep_ in ("det", "nsubj", "nsubjpass", "dobj", "pobj")
        ):
            return False
        if t.pos_ in ("PROPN", "NOUN"):
            seen_name = True
    return True


def answer_kind(span: list[Token]) -> tuple[str, str]:
    """Return the kind and entity label of an answer span (a person, a year, a number, a thing, ...)."""
    core = span[1:] if len(span) > 1 and span[0].tag_ == "DT" else span
    labels = {t.ent_type_ for t in core}  # "" for a word outside any entity
    text = " ".join(t.text for t in span)
    label = labels.pop() if len(labels) == 1 else ""  # the entity must be the whole answer
    if label == "PERSON":
        return "person", label
    if label == "ORG":
        return "organization", label
    if label in _PLACE_LABELS:
        return "place", label
    if label == "NORP":
        return "group", label
    if label == "DATE":
        return ("year" if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", text) else "date"), label
    if label in ("CARDINAL", "QUANTITY", "PERCENT", "MONEY"):
        return "number", label
    return "thing", label


def _subtree(t: Token) -> list[Token]:
    return list(t.subtree)


def _render(tokens: list[Token], *, lower_first: bool = False) -> str:
    words = "".join(t.text_with_ws for t in tokens).strip().rstrip(",;:")
    words = re.sub(r"\s+", " ", words)
    # A name keeps its capital: tagged as one, or inside a named entity ("Leibniz" tagged as a noun).
    named = tokens and (tokens[0].tag_ in ("NNP", "NNPS") or tokens[0].pos_ == "PROPN" or tokens[0].ent_type_)
    if lower_first and tokens and not named and tokens[0].text != "I":
        words = words[:1].lower() + words[1:]
    return words


def _ends(tokens: list[Token]) -> list[Token]:
    """The clause's tokens without its final punctuation."""
    while tokens and tokens[-1].is_punct:
        tokens = tokens[:-1]
    return tokens


class _Clause:
    """The main clause of a sentence: subject, verb group and the rest, ready to be inverted."""

    def __init__(self, doc: Any, start: int) -> None:
        # A connective inside the clause ("are then copied", "is also used") leans on the sentence before.
        inner = {t.i for t in doc[start:] if t.dep_ == "advmod" and t.lower_ in CONNECTIVES}
        self.tokens = _ends([t for t in doc[start:] if t.i not in inner])
        root = doc[start:].root
        self.root = root
        self.subject = next((c for c in root.lefts if c.dep_ in ("nsubj", "nsubjpass")), None)
        self.auxes = [c for c in root.lefts if c.dep_ in ("aux", "auxpass")]
        self.neg = [c for c in root.children if c.dep_ == "neg"]
        # A fronted adverbial ("In 1996, the company moved ...") moves to the end of a question.
        first = _subtree(self.subject)[0].i if self.subject is not None else start
        self.front = [t for t in self.tokens if t.i < first]
        fronted = {t.i for c in root.lefts if c.dep_ in ("prep", "advmod", "npadvmod") for t in c.subtree}
        self.front_ok = all(t.i in fronted or t.text == "," for t in self.front)

    def usable(self) -> bool:
        r, s = self.root, self.subject
        if r.pos_ not in ("VERB", "AUX") or s is None or s.tag_.startswith("PRP") or s.tag_ in ("EX", "WDT"):
            return False
        finite = r.tag_ in ("VBD", "VBZ", "VBP") or any(
            a.tag_ in ("VBD", "VBZ", "VBP", "MD") for a in self.auxes
        )
        span = _subtree(s)
        # One main clause: a second clause with its own subject ("A is X, and B is Y") asks two things.
        compound = any(
            c.dep_ == "conj" and any(g.dep_.startswith("nsubj") for g in c.children) for c in r.children
        )
        return finite and self.front_ok and len(span) <= 10 and not self.neg and not compound

    def subject_span(self) -> list[Token]:
        assert self.subject is not None
        return _subtree(self.subject)

    def question(self, wh: str, drop: set[int]) -> str | None:
        """Invert the clause around `wh` with the removed tokens `drop`: "When did X found Y?"."""
        subject = self.subject_span()
        subject_ids = {t.i for t in subject}
        rest = [t for t in self.tokens if t.i not in drop and t.i not in subject_ids and t.i > subject[-1].i]
        moved = _render([t for t in self.front if t.i not in drop and t.text != ","], lower_first=True)
        if self.auxes:
            first = self.auxes[0]
            front = first.text.lower()
            rest = [t for t in rest if t.i != first.i]
            verb_part = _render(rest)
        elif self.root.lemma_ == "be":
            front = self.root.text.lower()
            verb_part = _render([t for t in rest if t.i != self.root.i])
        else:
            front = {"VBD": "did", "VBZ": "does", "VBP": "do"}.get(self.root.tag_, "")
            if not front:
                return None
            after = [t for t in rest if t.i != self.root.i]
            verb_part = " ".join(x for x in (self.root.lemma_, _render(after)) if x)
        stem = " ".join(x for x in (wh, front, _render(subject, lower_first=True), verb_part, moved) if x)
        return _finish(stem)


def _finish(stem: str) -> str:
    stem = without_notes(re.sub(r"\s+([,.;:?!])", r"\1", stem)).strip().rstrip(",;:")
    return stem[:1].upper() + stem[1:] + "?"


def _span_text(span: list[Token]) -> str:
    return "".join(t.text_with_ws for t in _ends(span)).strip()


def _content(span: list[Token]) -> bool:
    """An answer worth asking for: a name, a number, or a phrase with two content words (not "most X")."""
    if any(t.dep_ in ("det", "amod") and t.lower_ in QUANTIFIERS for t in span):
        return False
    if any(t.ent_type_ for t in span):
        return True
    return sum(t.pos_ in ("NOUN", "PROPN", "ADJ") for t in span) >= 2


def _subject_ask(c: _Clause) -> Ask | None:
    span = c.subject_span()
    if not _content(span) or len(span) > _MAX_ANSWER_TOKENS:
        return None
    kind, label = answer_kind(span)
    human = kind == "organization" and c.root.lemma_ in HUMAN_VERBS and len(span) == 1
    wh = "Who" if kind == "person" or human else "What"
    rest = [t for t in c.tokens if t.i > span[-1].i]
    if sum(t.pos_ in ("NOUN", "PROPN", "NUM", "ADJ") for t in rest) < 2:
        return None  # "What have no effect?": too little left to tell what is asked
    if not any(t.i == c.root.i for t in rest):
        return None
    if c.root.lemma_ == "be" and not any(t.dep_ == "attr" for t in c.root.rights):
        return None  # "X is that ...", "X is so general that ...": nothing to name
    finite = c.auxes[0] if c.auxes else c.root
    if finite.tag_ == "VBP" and finite.lemma_ not in ("be", "have"):
        return None  # "What help the controller ...?": the verb would need the singular
    moved = _render([t for t in c.front if t.text != ","], lower_first=True)
    stem = _finish(" ".join(x for x in (wh, _render(rest), moved) if x))
    plural = c.subject is not None and c.subject.tag_ in ("NNS", "NNPS")
    answer = _span_text(span)
    if kind == "thing" and span[0].i == 0 and span[0].tag_ not in ("NNP", "NNPS"):
        answer = answer[:1].lower() + answer[1:]  # capitalized only because it starts the sentence
    return Ask(stem, answer, kind, "subject", label, plural)


def _prepositional(
    c: _Clause, labels: frozenset[str], preps: frozenset[str]
) -> tuple[Token, list[Token]] | None:
    for prep in c.root.children:
        if prep.dep_ != "prep" or prep.lower_ not in preps:
            continue
        objects = [o for o in prep.children if o.dep_ == "pobj"]
        if len(objects) != 1:
            continue
        span = _subtree(objects[0])
        if all(t.ent_type_ in labels for t in span) and len(span) <= 6:
            return prep, span
    return None


def _time_ask(c: _Clause) -> Ask | None:
    found = _prepositional(c, frozenset(["DATE"]), _WH_PREPOSITIONS)
    if found is None:
        return None
    prep, span = found
    kind, label = answer_kind(span)
    wh = "In what year" if kind == "year" else "When"
    stem = c.question(wh, {t.i for t in _subtree(prep)})
    return None if stem is None else Ask(stem, _span_text(span), kind, "time", label, False)


def _place_ask(c: _Clause) -> Ask | None:
    found = _prepositional(c, _PLACE_LABELS, _PLACE_PREPOSITIONS)
    if found is None:
        return None
    prep, span = found
    stem = c.question("Where", {t.i for t in _subtree(prep)})
    return None if stem is None else Ask(stem, _span_text(span), "place", "place", span[0].ent_type_, False)


def _object(c: _Clause) -> Token | None:
    return next((t for t in c.root.rights if t.dep_ == "dobj"), None)


def _quantity_ask(c: _Clause) -> Ask | None:
    obj = _object(c)
    if obj is None or obj.tag_ != "NNS":
        return None
    numbers = [t for t in obj.lefts if t.dep_ == "nummod" and t.ent_type_ == "CARDINAL" and t.like_num]
    if len(numbers) != 1 or not any(ch.isdigit() for ch in numbers[0].text):
        return None
    phrase = [t for t in _subtree(obj) if t.i != numbers[0].i]
    if any(t.dep_ == "det" or t.tag_ == "PRP$" for t in phrase):
        return None
    drop = {t.i for t in _subtree(obj)}
    stem = c.question(f"How many {_render(phrase)}", drop)
    return None if stem is None else Ask(stem, numbers[0].text, "number", "quantity", "CARDINAL", False)


def _cause_ask(c: _Clause) -> Ask | None:
    for clause in c.root.children:
        if clause.dep_ != "advcl" or clause.i < c.root.i:
            continue
        marks = [m for m in clause.children if m.dep_ == "mark" and m.lower_ == "because"]
        if not marks:
            continue
        span = _ends(_subtree(clause))
        drop = {t.i for t in span}
        # the comma before "because" goes too
        drop |= {t.i for t in c.tokens if t.i == span[0].i - 1 and t.is_punct}
        stem = c.question("Why", drop)
        if stem is None or not self_contained(span):
            return None
        return Ask(stem, _span_text(span), "cause", "cause", "", False)
    return None


def _object_ask(c: _Clause) -> Ask | None:
    obj = _object(c)
    if obj is None:
        return None
    span = _subtree(obj)
    if len(span) > 6 or span[-1].i != c.tokens[-1].i:
        return None
    kind, label = answer_kind(span)
    if kind in ("number", "date", "year", "thing"):
        return None  # only a named object: "What did the academy grant?" has many answers
    stem = c.question("Who" if kind == "person" else "What", {t.i for t in span})
    return None if stem is None else Ask(stem, _span_text(span), kind, "object", label, obj.tag_ == "NNPS")


def asks(doc: Any) -> list[Ask]:
    """Every question the sentence's main clause supports, most specific first; none if it is not usable."""
    start = clause_start(doc)
    if start is None:
        return []
    c = _Clause(doc, start)
    if not c.usable() or not self_contained(c.tokens):
        return []
    found = [f(c) for f in (_cause_ask, _quantity_ask, _time_ask, _place_ask, _object_ask, _subject_ask)]
    return [a for a in found if a is not None and _readable(a)]


def _readable(ask: Ask) -> bool:
    """A stem a learner reads at once, that does not give its answer away."""
    stem = ask.stem
    if len(stem) > _MAX_STEM or len(stem.split()) > _MAX_STEM_WORDS or _ASIDE.search(stem):
        return False
    if "," in ask.answer and ask.kind != "cause":
        return False  # an enumeration or an aside ("type conversions, such as ...") makes a poor option
    if _ASIDE.search(ask.answer) or any(_unbalanced(text) for text in (stem, ask.answer)):
        return False  # a cut quotation or bracket: '"m" action over "Tasks'
    return not has_glued_note(ask.answer) and ask.answer.casefold() not in stem.casefold()


def _unbalanced(text: str) -> bool:
    straight = text.count('"') % 2 == 1
    return straight or text.count("“") != text.count("”") or text.count("‘") > text.count("’")


def is_body_statement(doc: Any) -> bool:
    """A full declarative sentence: subject and finite verb first, self-contained, at least six words."""
    start = clause_start(doc)
    if (
        start != 0
        or doc[-1].text not in (".", "!")
        or MATH.search(doc.text)
        or _ASIDE_BRACES.search(doc.text)
        or _ASIDE.search(doc.text)
        or any(t.dep_ == "advmod" and t.lower_ in CONNECTIVES for t in doc)  # "X also did Y"
    ):
        return False
    c = _Clause(doc, 0)
    words = [t for t in c.tokens if t.is_alpha]
    return c.usable() and len(words) >= 6 and self_contained(c.tokens)


def negation(doc: Any) -> str | None:
    """The sentence's faithful negation ("X is Y" -> "X is not Y"; "X founded Y" -> "X did not found Y")."""
    if clause_start(doc) != 0:
        return None
    c = _Clause(doc, 0)
    if (
        not c.usable()
        or any(t.dep_ == "neg" for t in doc)
        or any(t.lower_ in ("no", "never", "not") for t in doc)
    ):
        return None
    head = c.auxes[0] if c.auxes else (c.root if c.root.lemma_ == "be" else None)
    text: str = doc.text
    if head is not None:
        at = head.idx + len(head.text)
        return text[:at] + ("not" if head.lower_ == "can" else " not") + text[at:]
    aux = {"VBD": "did", "VBZ": "does", "VBP": "do"}.get(c.root.tag_)
    if aux is None:
        return None
    r = c.root
    return text[: r.idx] + f"{aux} not {r.lemma_}" + text[r.idx + len(r.text) :]
