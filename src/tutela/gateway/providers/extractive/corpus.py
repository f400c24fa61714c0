"""The analysed source of one request: sentences, key terms with their kinds, and TF-IDF statistics."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tutela.gateway.providers.extractive import statements as st
from tutela.gateway.providers.extractive import terms as t
from tutela.gateway.providers.extractive.sentences import (
    Sentence,
    clean,
    is_instruction_like,
    is_usable,
    split_spans,
)
from tutela.gateway.providers.extractive.stopwords import STOPWORDS, stopwords


class PassageLike(Protocol):
    """What the engine needs of a source passage (tutela.gateway.wire.passages.Passage fits)."""

    @property
    def page(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def section(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Term:
    """A key term of the document: its most frequent surface form, kind, and the sentences it occurs in."""

    text: str
    kind: str
    df: int
    sections: frozenset[str | None]


@dataclass
class Corpus:
    """Everything the outline, lesson, summary and question builders read."""

    language: str
    passages: Sequence[PassageLike]
    sentences: list[Sentence]
    usable: list[int]
    idf: dict[str, float]
    terms: dict[str, Term]
    sentence_terms: dict[int, list[t.Candidate]] = field(default_factory=dict)
    definitions: dict[int, t.Definition] = field(default_factory=dict)
    by_line: bool = False  # few sentence ends: lines are statements (a poem, a list; see statements.py)
    # In a widened corpus (see `widen`): the sentences and lines beyond prose that `usable` now includes.
    statements: list[int] = field(default_factory=list)
    widened: bool = False

    @property
    def stop(self) -> frozenset[str]:
        """Return the function words of the corpus language."""
        return stopwords(self.language)

    def quote(self, first: int, last: int) -> str:
        """Return the exact source text from the start of sentence `first` to the end of sentence `last`."""
        a, b = self.sentences[first], self.sentences[last]
        return self.passages[a.passage].text[a.start : b.start + len(b.raw)]

    def weight(self, key: str) -> float:
        """Return how characteristic a term is: recurring, but not everywhere."""
        term = self.terms[key]
        if term.kind in ("year", "percent", "number"):
            return 1.0
        n = max(len(self.usable), 1)
        recurrence = 1.0 if term.df >= 2 else 0.6
        return recurrence * math.log(1 + n / term.df) * (1.2 if " " in term.text else 1.0)


def guess_language(texts: Sequence[str]) -> str:
    """Guess English or German from function-word counts; "en" when in doubt."""
    counts = Counter(w for text in texts[:40] for w in t.words(text[:4000]))
    scores = {lang: sum(counts[w] for w in words) for lang, words in STOPWORDS.items()}
    return "de" if scores["de"] > scores["en"] else "en"


def build(passages: Sequence[PassageLike], language: str | None = None, *, lenient: bool = False) -> Corpus:
    """Split passages into sentences and collect key terms, definitions and word statistics."""
    lang = language if language in STOPWORDS else guess_language([p.text for p in passages])
    prose = [split_spans(p.text, lang) for p in passages]
    # A document with few sentence ends (a poem, a list) states things line by line.
    pieces = [clean(p.text[a:b]) for p, spans in zip(passages, prose, strict=True) for a, b in spans]
    by_line = st.few_sentence_ends(pieces)
    sentences: list[Sentence] = []
    lines: set[int] = set()  # pieces of lines: statements for questions, never prose for lessons
    for pi, passage in enumerate(passages):
        for start, end, line in st.refine(passage.text, prose[pi], lang, by_line=by_line):
            raw = passage.text[start:end]
            if line:
                lines.add(len(sentences))
            sentences.append(
                Sentence(len(sentences), pi, passage.page, passage.section, start, raw, clean(raw))
            )
    usable = [s.index for s in sentences if s.index not in lines and is_usable(s.text)]
    if not usable and lenient:
        usable = [s.index for s in sentences if _acceptable(s.text)]
    corpus = Corpus(lang, passages, sentences, usable, {}, {}, by_line=by_line)
    _analyse(corpus)
    return corpus


def _statements(corpus: Corpus) -> list[int]:
    """Sentences beyond `usable` that state something: other sentence ends, other scripts, lines."""
    taken = set(corpus.usable)
    lowercase = [st.is_lowercase(p.text) for p in corpus.passages]
    by_line = corpus.by_line
    return [
        s.index
        for s in corpus.sentences
        if s.index not in taken
        and (by_line or st.ends_statement(s.text))  # an unended line is a heading, unless all lines are
        and st.is_statement(s.text, lowercase_start=by_line or lowercase[s.passage])
    ]


def widen(corpus: Corpus) -> Corpus:
    """Return the corpus with its statements usable too, analysed anew: the question builder's fallback."""
    statements = _statements(corpus)
    usable = sorted({*corpus.usable, *statements})
    wide = Corpus(corpus.language, corpus.passages, corpus.sentences, usable, {}, {}, by_line=corpus.by_line)
    wide.statements, wide.widened = statements, True
    _analyse(wide)
    return wide


def _acceptable(text: str) -> bool:
    """A looser test for sections with no clean prose at all (title pages, lists): any line of a few words."""
    letters = sum(c.isalpha() for c in text)
    return letters >= 12 and len(text.split()) >= 3 and len(text) <= 500 and not is_instruction_like(text)


def _analyse(corpus: Corpus) -> None:
    stop = corpus.stop
    df: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    kinds: dict[str, str] = {}
    sections: dict[str, set[str | None]] = defaultdict(set)
    phrase_counts: Counter[str] = Counter()
    per_sentence: dict[int, list[t.Candidate]] = {}
    word_df: Counter[str] = Counter()
    for i in corpus.usable:
        s = corpus.sentences[i]
        word_df.update(set(t.words(s.text)))
        found = t.candidates(s.text, corpus.language, stop)
        # German capitalizes its nouns, so its lowercase runs are verbs and adjectives, not terms.
        plain = t.phrases(s.text, stop) if corpus.language != "de" else []
        phrase_counts.update(set(plain))
        found.extend(t.Candidate(p, "phrase") for p in dict.fromkeys(plain))
        per_sentence[i] = found
        definition = t.definition(s.text, corpus.language, stop)
        if definition is not None:
            corpus.definitions[i] = definition
    for i, found in per_sentence.items():
        # A lowercase phrase is a term only if the document repeats it; otherwise it is just wording.
        kept = [c for c in found if c.kind != "phrase" or phrase_counts[c.text] >= 2]
        kept = _maximal(kept)
        corpus.sentence_terms[i] = kept
        for c in kept:
            if c.key not in kinds:
                kinds[c.key] = c.kind
            if kinds[c.key] == c.kind:
                surface[c.key][c.text] += 1
                sections[c.key].add(corpus.sentences[i].section)
        df.update({c.key for c in kept})
    n = max(len(corpus.usable), 1)
    corpus.idf = {w: math.log((1 + n) / (1 + d)) + 1 for w, d in word_df.items()}
    corpus.terms = {
        key: Term(surface[key].most_common(1)[0][0], kinds[key], df[key], frozenset(sections[key]))
        for key in df
        if surface[key]
    }


def _maximal(found: list[t.Candidate]) -> list[t.Candidate]:
    """Drop phrases contained in a longer phrase of the same sentence ("trace" inside "trace tree")."""
    phrases = [c.text for c in found if c.kind == "phrase"]
    unique: dict[tuple[str, str], t.Candidate] = {}
    for c in found:
        if c.kind == "phrase" and any(c.text != p and f" {c.text} " in f" {p} " for p in phrases):
            continue
        unique.setdefault((c.key, c.kind), c)
    return list(unique.values())


def salience(corpus: Corpus, indices: Sequence[int]) -> dict[int, float]:
    """Score sentences by the TF-IDF weight of their content words within `indices` (length-normalized)."""
    stop = corpus.stop
    tf: Counter[str] = Counter()
    tokens = {
        i: [w for w in t.words(corpus.sentences[i].text) if w not in stop and len(w) > 2] for i in indices
    }
    for ws in tokens.values():
        tf.update(set(ws))
    scores = {}
    for i, ws in tokens.items():
        if not ws:
            scores[i] = 0.0
            continue
        total = sum(math.log(1 + tf[w]) * corpus.idf.get(w, 1.0) for w in set(ws))
        scores[i] = total / math.sqrt(len(ws) + 4)
        if i in corpus.definitions:
            scores[i] *= 1.3  # definitions are what a learner needs first
    return scores
