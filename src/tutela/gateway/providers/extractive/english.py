"""Questions on English text from its parse: real wh-questions, one-answer clozes, faithful false statements.

Only the best-ranked candidate sentences are parsed (a few per wanted question, one `nlp.pipe` batch), so
a long book costs what its questions cost. From each parse (wh.py):
- single_choice: a wh-question with three options of the answer's kind: a year for a year, the same figure
  written the same way with its unit, a person for a person, an organization, a place of the same kind, a
  noun phrase of the same number; from the document where it has them;
- short_answer: a wh-question (why / who / what / when / where / how many) whose answer is a sentence span;
- fill_in_blank: a cloze only for a key with one possible answer: a name, a date or a figure;
- true_false and multiple_choice: full declarative body sentences; a false one swaps a name, date or figure
  for one of the same kind, or is the sentence's faithful negation.
A wrong option that the document states in the same context as the question (it shares most of the
stem's content words in some sentence) is never used: it could be true too.
"""

from __future__ import annotations

import bisect
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any

from tutela.gateway.providers.extractive import nlp, wh
from tutela.gateway.providers.extractive.corpus import Corpus
from tutela.gateway.providers.extractive.distractors import (
    occurrences,
    same_kind,
    shifted_numbers,
    shifted_years,
)
from tutela.gateway.providers.extractive.sentences import NOTE, stands_alone
from tutela.gateway.providers.extractive.terms import fold

_PER_QUESTION = 3  # candidate sentences parsed per wanted question
_MIN_CANDIDATES = 40
_MAX_CANDIDATE = 220
_MAX_CLOZE_WORDS = 5  # characters: longer sentences make unreadable stems
# Words that tie a sentence to its writer, its reader or the sentence before: such a sentence is not parsed.
_TIED = re.compile(
    r"\b(?:[Ww]e|[Oo]ur|us|[Yy]ou|[Yy]our|I)\b|^(?:He|She|It|They|This|These|Those|There|Here|Such|As a)\b"
    r"|(?:\b[Ff]i|\bﬁ)g(?:ure)?s?\.?\s*\d|\b(?:[Tt]able\s+\d|[Ee]quation\s+\d|above|below|following|latter|former)\b"
    r"|\bthe (?:figure|diagram|table|example)\b"
)
# Licence and rights boilerplate (a rights page, a licence appended to a book) is never material for a quiz.
_BOILERPLATE = re.compile(
    r"\b(?:Project Gutenberg|licen[cs]e[sd]?|trademarks?|copyrights?|warrant(?:y|ies)|liabilit(?:y|ies)|"
    r"royalt(?:y|ies)|all rights reserved)\b",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"[a-z][a-z'-]{3,}")
_WH_WORDS = frozenset(
    [
        "what",
        "when",
        "where",
        "which",
        "whom",
        "whose",
        "why",
        "how",
        "many",
        "year",
        "does",
        "did",
        "were",
        "was",
        "have",
        "has",
    ]
)
_NOT_IN_TERMS = frozenset(["DT", "WDT", "PDT", "PRP$", "WP$", "RB", "RBR", "RBS", "CC"])
_FOCUS_ORDER = ("cause", "quantity", "time", "place", "object", "subject")


@dataclass(frozen=True, slots=True)
class Parsed:
    """What the parse of one candidate sentence supports."""

    asks: tuple[wh.Ask, ...]
    body: bool  # a full declarative body sentence (true/false, statement lists)
    negation: str | None
    clause: str  # the sentence without a leading connective, glued note numbers removed


class EnglishWriter:
    """Parses the candidate sentences once and writes questions from them."""

    def __init__(self, corpus: Corpus, ranked: list[int], target: int, rng: random.Random) -> None:
        self.corpus = corpus
        self.rng = rng
        self.parsed: dict[int, Parsed | None] = {}
        self.pools: dict[str, Counter[str]] = defaultdict(Counter)
        self.years: list[str] = []
        self.focus_used: Counter[str] = Counter()
        self._haystack: str | None = None
        self._starts: list[int] = []
        self._names = _names(corpus)
        chosen = [i for i in ranked if _candidate(corpus.sentences[i].text)]
        self._parse(chosen[: max(_MIN_CANDIDATES, _PER_QUESTION * target)])
        # Statement lists need neighbouring sentences, parsed on demand within this budget.
        self._budget = max(_MIN_CANDIDATES // 2, 2 * target)

    def _parse(self, indices: list[int]) -> None:
        docs = nlp.parse(self.corpus.sentences[i].text for i in indices)
        for i, doc in zip(indices, docs, strict=True):
            start = wh.clause_start(doc)
            clause = wh.without_notes(doc[start:].text) if start is not None else ""
            asks = tuple(self._with_names(ask) for ask in wh.asks(doc))
            self.parsed[i] = Parsed(asks, wh.is_body_statement(doc), wh.negation(doc), clause)
            self._collect(doc)

    def _with_names(self, ask: wh.Ask) -> wh.Ask:
        """The question with the capitals of the document's names that its inversion lower-cased."""

        def capital(match: re.Match[str]) -> str:
            word = match[0]
            return word[:1].upper() + word[1:] if word in self._names else word

        return replace(
            ask, stem=_LOWER_WORD.sub(capital, ask.stem), answer=_LOWER_WORD.sub(capital, ask.answer)
        )

    def prepare(self, indices: range) -> None:
        """Parse the sentences of a statement list's window not parsed yet (within the parse budget)."""
        texts = self.corpus.sentences
        todo = [i for i in indices if i < len(texts) and i not in self.parsed]
        for i in todo:
            self.parsed[i] = None  # not a candidate (or parsed just below)
        todo = [i for i in todo if _candidate(texts[i].text)][: max(self._budget, 0)]
        if todo:
            self._budget -= len(todo)
            self._parse(todo)

    def _collect(self, doc: Any) -> None:
        for ent in doc.ents:
            tokens = list(ent)
            kind, label = wh.answer_kind(tokens)
            text = _without_article(ent.text)
            if kind == "year":
                self.years.append(text)
            elif not _proper(tokens, kind):
                continue  # a tagger's slip ("Lengths", "integer", "fig") would be a wrong option of no kind
            elif kind in ("person", "organization", "group"):
                self.pools[kind][text] += 1
            elif kind == "place":
                self.pools[f"place:{label}"][text] += 1
        for chunk in doc.noun_chunks:
            if chunk.root.pos_ == "NOUN" and not any(t.ent_type_ or t.tag_.startswith("PRP") for t in chunk):
                words = [t for t in chunk if t.dep_ != "det" and t.lower_ not in ("that", "this")]
                if 2 <= len(words) <= 4 and all(t.is_alpha and t.tag_ not in _NOT_IN_TERMS for t in words):
                    plural = "pl" if chunk.root.tag_ == "NNS" else "sg"
                    text = " ".join(t.text for t in words)
                    if words[0].i == 0 and words[0].tag_ not in ("NNP", "NNPS"):
                        text = text[:1].lower() + text[1:]  # capitalized only because it starts the sentence
                    self.pools[f"thing:{plural}"][text] += 1

    # -- distractors ------------------------------------------------------------------------------

    def distractors(self, ask: wh.Ask, sentence: str, n: int = 3) -> tuple[str, ...]:
        """Wrong options of the answer's kind, none of them also true per the source."""
        if ask.kind == "year":
            found = shifted_years(ask.answer, self.years, sentence, self.rng, n + 2)
        elif ask.kind == "number":
            found = shifted_numbers(ask.answer, sentence, self.rng, n + 2)
        elif ask.kind == "place":
            found = same_kind(ask.answer, self.pools[f"place:{ask.label}"], sentence, self.rng, n + 2)
        elif ask.kind in ("person", "organization", "group"):
            found = same_kind(ask.answer, self.pools[ask.kind], sentence, self.rng, n + 2)
        elif ask.kind == "thing":
            pool = self.pools["thing:pl" if ask.plural else "thing:sg"]
            found = same_kind(_without_article(ask.answer), pool, sentence, self.rng, n + 2)
        else:
            return ()
        return tuple(d for d in found if not self.also_true(ask.stem, d))[:n]

    def also_true(self, stem: str, option: str) -> bool:
        """Tell whether the source states `option` in the stem's context (most of its content words)."""
        if self._haystack is None:
            texts = [fold(self.corpus.sentences[i].text) for i in self.corpus.usable]
            self._starts = []
            at = 0
            for text in texts:
                self._starts.append(at)
                at += len(text) + 1
            self._haystack = "\n".join(texts)
        wanted = {w for w in _CONTENT.findall(fold(stem)) if w not in _WH_WORDS}
        if not wanted:
            return False
        needle, hay = fold(option), self._haystack
        at = hay.find(needle)
        while at >= 0:
            k = bisect.bisect_right(self._starts, at) - 1
            end = hay.find("\n", at)
            sentence = hay[self._starts[k] : end if end >= 0 else len(hay)]
            if len(wanted & set(_CONTENT.findall(sentence))) >= 0.6 * len(wanted):
                return True
            at = hay.find(needle, at + 1)
        return False

    # -- questions --------------------------------------------------------------------------------

    def _ranked_asks(self, i: int) -> list[wh.Ask]:
        p = self.parsed.get(i)
        if p is None:
            return []
        order = {f: k for k, f in enumerate(_FOCUS_ORDER)}
        return sorted(p.asks, key=lambda a: (self.focus_used[a.focus], order[a.focus], len(a.stem)))

    def choice(self, i: int) -> tuple[wh.Ask, tuple[str, ...]] | None:
        """The best wh-question of a sentence that has three wrong options of its kind."""
        text = self.corpus.sentences[i].text
        for ask in self._ranked_asks(i):
            if ask.kind == "cause":
                continue
            wrong = self.distractors(_plain_answer(ask), text)
            if len(wrong) >= 3:
                self.focus_used[ask.focus] += 1
                return _plain_answer(ask), wrong
        return None

    def open_question(self, i: int) -> wh.Ask | None:
        """The best wh-question of a sentence for a short answer."""
        for ask in self._ranked_asks(i):
            if len(ask.answer.split()) <= 12:
                self.focus_used[ask.focus] += 1
                return ask
        return None

    def cloze(self, i: int) -> tuple[str, str] | None:
        """(clause, key) for a blank with one possible answer: a name, a date or a figure of the sentence."""
        p = self.parsed.get(i)
        if p is None:
            return None
        keys = [a.answer for a in self._ranked_asks(i) if a.kind not in ("cause", "group")]
        definition = self.corpus.definitions.get(i)
        keys += [definition.term] if definition is not None else []  # the term a definition names
        clause = p.clause[:1].upper() + p.clause[1:]
        for key in keys:
            if not self._one_answer(key):
                continue
            found = list(re.finditer(rf"(?<![\w-]){re.escape(key)}(?![\w-])", clause, re.IGNORECASE))
            if len(found) == 1:
                return clause, found[0][0]
        return None

    def stands_alone(self, i: int) -> bool:
        """Tell whether a sentence may be asked about as it stands (a definition's short answer)."""
        text = self.corpus.sentences[i].text
        return _candidate(text) and stands_alone(text, "en")

    def _one_answer(self, key: str) -> bool:
        """A name, a date, a figure, or a term the document keeps using: the blank has one answer."""
        if len(key.split()) > _MAX_CLOZE_WORDS:
            return False
        if any(c.isdigit() or c.isupper() for c in key[1:]):
            return True  # a figure or a name (a capital past the first letter, which may start the sentence)
        # A lone common word ("circle") has synonyms and near misses; a recurring multi-word term has not.
        term = self.corpus.terms.get(fold(_without_article(key)))
        return term is not None and term.df >= 2 and " " in term.text

    def statement(self, i: int) -> str | None:
        """The sentence as shown in a statement list or a true/false question, if it is a body sentence."""
        p = self.parsed.get(i)
        return self.corpus.sentences[i].text if p is not None and p.body else None

    def falsify(self, i: int) -> str | None:
        """A plausible false variant: a same-kind swap of a name, date or figure, else the negation."""
        p = self.parsed.get(i)
        if p is None or not p.body:
            return None
        text = self.corpus.sentences[i].text
        for ask in self._ranked_asks(i):
            if ask.kind in ("thing", "cause") or len(occurrences(ask.answer, text)) != 1:
                continue
            wrong = self.distractors(ask, text, 1)
            if wrong:
                match = occurrences(ask.answer, text)[0]
                return text[: match.start()] + wrong[0] + text[match.end() :]
        return p.negation


_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zà-ÿ][\w'’-]*")


def _names(corpus: Corpus) -> frozenset[str]:
    """Words the document writes with a capital inside its sentences and never in lower case ("Leibniz"),
    in lower case: a name a question's inversion must not lower-case."""
    capital: set[str] = set()
    lower: set[str] = set()
    for sentence in corpus.sentences:
        for k, word in enumerate(_WORD.findall(sentence.text)):
            if word[:1].islower():
                lower.add(word)
            elif k > 0 and not word.isupper():
                capital.add(word.lower())
    return frozenset(capital - lower)


def _proper(tokens: list[Any], kind: str) -> bool:
    """A name as names are written: proper nouns with capitals, not only capitalized by the sentence start."""
    names = [t for t in tokens if t.pos_ == "PROPN"]
    if not names or any(t.is_alpha and not t.text[:1].isupper() for t in names):
        return False
    if kind == "person" and all(t.is_upper and len(t) > 1 for t in names):
        return False  # "ABC" is no person
    return tokens[0].i > 0 or len(names) > 1


def _candidate(text: str) -> bool:
    """Worth parsing: short enough, no glued note number, not tied to its writer or the sentence before."""
    if (
        len(text) > _MAX_CANDIDATE
        or wh.has_glued_note(text)
        or NOTE.search(text)
        or _BOILERPLATE.search(text)
    ):
        return False
    return _TIED.search(text) is None


def _without_article(text: str) -> str:
    first, _, rest = text.partition(" ")
    return rest if first.casefold() in ("the", "a", "an") and rest else text


def _plain_answer(ask: wh.Ask) -> wh.Ask:
    """The answer without a leading article, so that options read alike ("Wright brothers")."""
    if ask.kind in ("thing", "person", "organization", "group", "place"):
        return wh.Ask(ask.stem, _without_article(ask.answer), ask.kind, ask.focus, ask.label, ask.plural)
    return ask
