"""Quiz questions of all five types, from source sentences only (see tutela.authoring.generation.schemas).

- fill_in_blank: a sentence with its key term (noun, name, phrase, number) blanked; the term is the answer.
- single_choice: the same cloze, with the term and up to three other terms of the same kind as options.
- true_false: a sentence as it stands (true) or with its key term swapped for a distractor (false).
- multiple_choice: three or four neighbouring sentences; one or two get a term swapped (false options).
- short_answer: "What is X?" / "Wann heißt X Y?" from a definitional sentence; its definition is the answer.
Every question cites the exact source text it was made from; explanations quote that text.

Prose comes first: declarative sentences ending with a period, asked about their figures, acronyms, names
and recurring phrases. Only when these give fewer questions than wanted does the builder widen the corpus
(statements.py: other sentence ends, caseless scripts, lines of poems and lists) and fall back to a
sentence's rarest content word (content_words.py). Sentences that ask (ending in "?") serve only the cloze
types; true/false and statement lists need statements.
"""

from __future__ import annotations

import logging
import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from tutela.gateway.providers.extractive import content_words
from tutela.gateway.providers.extractive.corpus import Corpus, salience, widen
from tutela.gateway.providers.extractive.distractors import (
    KeyTerm,
    distractors,
    key_term,
    occurrences,
    shifted_numbers,
    shifted_years,
)
from tutela.gateway.providers.extractive.english import EnglishWriter
from tutela.gateway.providers.extractive.exceptions import ParserUnavailable
from tutela.gateway.providers.extractive.sentences import clean, stands_alone
from tutela.gateway.providers.extractive.statements import MAX_STATEMENT, is_question
from tutela.gateway.providers.extractive.stopwords import in_language
from tutela.gateway.providers.extractive.templates import mid_sentence, say
from tutela.gateway.providers.extractive.terms import fold

log = logging.getLogger(__name__)

BLANK = "_____"  # must equal tutela.authoring.generation.schemas.BLANK (a test checks it)
TRUE, FALSE = "true", "false"  # must equal schemas.TRUE_FALSE_OPTIONS
TYPE_CYCLE = ("fill_in_blank", "single_choice", "true_false", "short_answer", "multiple_choice")
_MAX_QUOTE = 900
_WINDOW_REACH = 8  # sentences after the first that a statement list may take
# A sentence serves each form of question once: the two cloze types blank the same term.
_FORM = {"fill_in_blank": "cloze", "single_choice": "cloze"}
_GOLDEN = 0.6180339887498949
_SAFE_SWAPS = ("year", "percent", "number")
_NO_TOPIC = (
    "year",
    "percent",
    "number",
    "phrase",
    content_words.KIND,
)  # kinds that do not name what a page is about


def default_count(corpus: Corpus) -> int:
    """Return how many questions to suggest: three for every five source pages, at least 5."""
    pages = {p.page for p in corpus.passages if len(p.text.strip()) >= 200}
    return max(5, math.ceil(len(pages) * 0.6))


def _citation(corpus: Corpus, first: int, last: int) -> dict[str, Any]:
    return {"page": corpus.sentences[first].page, "quote": corpus.quote(first, last)}


def _swap(text: str, term: str, replacement: str) -> str:
    match = occurrences(term, text)[0]
    return text[: match.start()] + replacement + text[match.end() :]


class _Builder:
    """Turns ranked sentences into questions, keeping stems and source sentences unique."""

    def __init__(self, corpus: Corpus, seed: int) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.lang = corpus.language
        self.keys: dict[int, KeyTerm | None] = {}
        self.stems: set[str] = set()
        self.polarity = seed % 2
        self.vocabulary: content_words.Vocabulary | None = None
        self.english: EnglishWriter | None = None  # the parser-based writer, for English text
        self.lists: list[set[int]] = []  # the sentences of each statement list made

    def widen(self, corpus: Corpus) -> None:
        """Go on with a widened corpus: its terms differ, so key terms are chosen anew; stems stay taken."""
        self.corpus = corpus
        self.keys = {}
        self.vocabulary = content_words.Vocabulary(corpus)

    def key(self, i: int) -> KeyTerm | None:
        if i not in self.keys:
            # Without a parse, a lowercase run of words in French or Spanish is as often a verb and its
            # object ("pouvez effectuer") as a term: only English and German keep phrase keys.
            skip = () if self.lang in ("en", "de") else ("phrase",)
            term = key_term(self.corpus, i, self.rng, skip=skip)
            if term is None and self.vocabulary is not None:
                term = content_words.key_word(self.corpus, self.vocabulary, i, self.rng)
            self.keys[i] = term
        return self.keys[i]

    def _question(
        self,
        kind: str,
        stem: str,
        options: list[str],
        answer: list[str],
        explanation: str,
        citation: dict[str, Any],
    ) -> dict[str, Any] | None:
        if fold(stem) in self.stems:
            return None
        self.stems.add(fold(stem))
        return {
            "type": kind,
            "stem": stem,
            "options": options,
            "answer": answer,
            "explanation": explanation,
            "citation": citation,
        }

    def fill_in_blank(self, i: int) -> dict[str, Any] | None:
        text = self.corpus.sentences[i].text
        if self.english is not None:
            found = self.english.cloze(i)
            if found is None:
                return None
            clause, answer = found
        else:
            term = self.key(i)
            if term is None:
                return None
            clause, answer = text, term.text
        stem = say(self.lang, "fill_in_blank", cloze=_swap(clause, answer, BLANK))
        return self._question(
            "fill_in_blank",
            stem,
            [],
            [answer],
            say(self.lang, "explain", sentence=text),
            _citation(self.corpus, i, i),
        )

    def single_choice(self, i: int) -> dict[str, Any] | None:
        text = self.corpus.sentences[i].text
        if self.english is not None:
            found = self.english.choice(i)
            if found is None:
                return None
            ask, wrong = found
            stem, answer = ask.stem, ask.answer
        else:
            term = self.key(i)
            if term is None or len(term.distractors) < 2:
                return None
            stem = say(self.lang, "single_choice", cloze=_swap(text, term.text, BLANK))
            answer, wrong = term.text, term.distractors
        options = [answer, *wrong]
        self.rng.shuffle(options)
        return self._question(
            "single_choice",
            stem,
            options,
            [answer],
            say(self.lang, "explain", sentence=text),
            _citation(self.corpus, i, i),
        )

    def _false_variant(self, i: int) -> str | None:
        """The sentence made false: a same-kind swap or a negation (English), else a key-term swap."""
        if self.english is not None:
            return self.english.falsify(i)
        # Without a parse only a figure can be swapped and still read as a claim: a swapped noun ("14
        # Anzahl"), name ("distribution officielle de Access") or acronym reads as word salad.
        swappable = _SAFE_SWAPS
        text = self.corpus.sentences[i].text
        s = self.corpus.sentences[i]
        for c in self.corpus.sentence_terms.get(i, []):
            if c.kind in swappable and c.key in self.corpus.terms and len(occurrences(c.text, text)) == 1:
                if c.kind == "year":
                    wrong = shifted_years(c.text, [], text, self.rng, 1)
                elif c.kind in ("number", "percent"):
                    wrong = shifted_numbers(c.text, text, self.rng, 1)
                else:
                    wrong = distractors(self.corpus, c, text, s.section, self.rng, 1)
                if wrong:
                    return _swap(text, c.text, wrong[0])
        return None

    def true_false(self, i: int) -> dict[str, Any] | None:
        text = self.corpus.sentences[i].text
        if is_question(text) or (self.english is not None and self.english.statement(i) is None):
            return None
        false = self._false_variant(i) if not self.polarity else None  # the next statement is false
        if false is None and not self.polarity:
            return None
        self.polarity ^= 1  # alternate, so that about half the statements are false
        statement = false if self.polarity else text
        answer = FALSE if self.polarity else TRUE
        explanation = say(self.lang, "explain_false" if self.polarity else "explain", sentence=text)
        stem = say(self.lang, "true_false", statement=statement)
        return self._question(
            "true_false", stem, [TRUE, FALSE], [answer], explanation, _citation(self.corpus, i, i)
        )

    def short_answer(self, i: int) -> dict[str, Any] | None:
        d = self.corpus.definitions.get(i)
        text = self.corpus.sentences[i].text
        english = self.english
        if d is not None and len(d.answer) <= 250 and (english is None or english.stands_alone(i)):
            key = {
                "is": "short_is",
                "refers": "short_refers",
                "called": "short_called",
                "called_if": "short_called_if",
            }
            stem = say(self.lang, key[d.form], subject=mid_sentence(d.subject), verb=d.verb, term=d.term)
            answer = d.answer
        elif self.english is not None and (ask := self.english.open_question(i)) is not None:
            stem, answer = ask.stem, ask.answer
        else:
            return None
        return self._question(
            "short_answer",
            stem,
            [],
            [answer],
            say(self.lang, "explain", sentence=text),
            _citation(self.corpus, i, i),
        )

    def multiple_choice(self, i: int, usable: set[int]) -> tuple[dict[str, Any] | None, list[int]]:
        if is_question(self.corpus.sentences[i].text):
            return None, []
        if self.english is not None:
            if self.english.statement(i) is None:
                return None, []
            self.english.prepare(range(i + 1, i + _WINDOW_REACH))
        window = self._window(i, usable)
        if any(len(set(window) & taken) >= 2 for taken in self.lists):
            return None, []  # the same statements again, under another heading
        variants = {j: v for j in window if (v := self._false_variant(j)) is not None}
        falsifiable = list(variants)
        if len(window) < 3 or not falsifiable:
            return None, []
        wrong = set(falsifiable[: 2 if len(window) == 4 and len(falsifiable) >= 2 else 1])
        options, answer = [], []
        for j in window:
            text = self.corpus.sentences[j].text
            if j in wrong:
                options.append(variants[j])
            else:
                options.append(text)
                answer.append(text)
        self.rng.shuffle(options)
        self.lists.append(set(window))
        # An English topic would be a key term the parse did not check ("College"): name the page instead.
        topic = None if self.english is not None else self.key(window[0]) or self.key(falsifiable[0])
        stem = (
            say(self.lang, "multiple_choice_topic", topic=topic.text)
            if topic is not None and topic.kind not in _NO_TOPIC
            else ""
        )
        if not stem or fold(stem) in self.stems:
            stem = say(self.lang, "multiple_choice_page", page=self.corpus.sentences[i].page)
        quoted = clean(self.corpus.quote(window[0], window[-1]))
        explanation = say(self.lang, "explain", sentence=quoted)
        question = self._question(
            "multiple_choice",
            stem,
            options,
            answer,
            explanation,
            _citation(self.corpus, window[0], window[-1]),
        )
        return question, window

    def _window(self, i: int, usable: set[int]) -> list[int]:
        """Up to four usable sentences from i on, in one passage, whose quote stays short."""
        first = self.corpus.sentences[i]
        window = [i]
        j = i + 1
        while len(window) < 4 and j < len(self.corpus.sentences):
            s = self.corpus.sentences[j]
            if s.passage != first.passage or s.start + len(s.raw) - first.start > _MAX_QUOTE:
                break
            body = self.english is None or self.english.statement(j) is not None
            if j in usable and body and len(s.text) <= 220 and not is_question(s.text):
                window.append(j)
            j += 1
        return window


def _english(corpus: Corpus, target: int, rng: random.Random) -> EnglishWriter | None:
    """The parser-based writer, or None (logged) when the English parser cannot be loaded."""
    try:
        return EnglishWriter(corpus, _ranked(corpus), target, rng)
    except ParserUnavailable as exc:
        log.debug("extractive: English parser unavailable (logged at start): %s", exc)
        return None


def _ranked(corpus: Corpus) -> list[int]:
    """Order the sentences to ask about: prose statements first, then (in a widened corpus) the rest."""
    fallback = set(corpus.statements)
    short = [i for i in corpus.usable if len(corpus.sentences[i].text) <= MAX_STATEMENT]
    prose = [i for i in short if corpus.sentences[i].text.endswith(".") and i not in fallback]
    if not corpus.widened:
        return _by_page(corpus, prose)
    taken = set(prose)
    return _by_page(corpus, prose) + _by_page(corpus, [i for i in short if i not in taken])


def _by_page(corpus: Corpus, statements: list[int]) -> list[int]:
    """Order sentences so that the best of every page comes before the second best of any.

    Within one round the pages come in a spread order (golden-ratio steps through the document), so that
    the first questions of a long book, however few, are drawn from all over it rather than its first pages:
    each chapter gets questions in proportion to its pages of body text.
    """
    scores = salience(corpus, statements)
    by_page: dict[int, list[int]] = defaultdict(list)
    for i in sorted(statements, key=lambda i: (-scores[i], i)):
        by_page[corpus.sentences[i].page].append(i)
    pages = [group for _, group in sorted(by_page.items())]
    spread = [pages[k] for k in sorted(range(len(pages)), key=lambda k: (k * _GOLDEN) % 1.0)]
    ranked: list[int] = []
    depth = 0
    while len(ranked) < len(statements):
        ranked.extend(group[depth] for group in spread if depth < len(group))
        depth += 1
    return ranked


def _next_question(
    builder: _Builder,
    kind: str,
    ranked: list[int],
    usable: set[int],
    used: set[int],
    used_pairs: set[tuple[int, str]],
) -> tuple[list[int], dict[str, Any]] | None:
    """Make a question of `kind` from the best sentence not yet used (for that kind)."""
    for i in ranked:
        if i in used or (i, _FORM.get(kind, kind)) in used_pairs:
            continue
        if kind == "multiple_choice":
            question, taken = builder.multiple_choice(i, usable - used)
        else:
            question, taken = getattr(builder, kind)(i), [i]
        if question is not None:
            return taken, question
    return None


def _fill(
    builder: _Builder,
    target: int,
    questions: list[tuple[int, dict[str, Any]]],
    used: set[int],
    used_pairs: set[tuple[int, str]],
    types: Sequence[str],
) -> None:
    """Add questions from the builder's corpus until there are `target`, cycling through the types."""
    ranked = _ranked(builder.corpus)
    if builder.english is None:
        # Without a parse, a sentence tied to the one before it cannot be made to stand alone: skip it.
        ranked = [
            i
            for i in ranked
            if stands_alone(builder.corpus.sentences[i].text, builder.lang)
            and in_language(builder.corpus.sentences[i].text, builder.lang)
        ]
    usable = set(ranked)
    # First every sentence serves one question; when the text is scarce (formula-heavy pages), a sentence
    # may serve a second question of another type.
    for reuse in (False, True):
        active = [t for t in TYPE_CYCLE if t in types]
        turn = 0
        while len(questions) < target and active:
            kind = active[turn % len(active)]
            made = _next_question(builder, kind, ranked, usable, used if not reuse else set(), used_pairs)
            if made is None:
                active.remove(kind)  # no sentence left that supports this type
                continue
            taken, question = made
            questions.append((min(taken), question))
            used.update(taken)
            used_pairs.update((i, _FORM.get(kind, kind)) for i in taken)
            turn += 1


def _cover_kinds(
    builder: _Builder,
    target: int,
    questions: list[tuple[int, dict[str, Any]]],
    used: set[int],
    used_pairs: set[tuple[int, str]],
    kinds: Sequence[str],
) -> None:
    """Give each asked-for type the parse could not write (a cloze needs a term with one answer) one
    key-term question, in place of the last question of the most frequent type, so the count stays."""
    for kind in kinds:
        if any(q["type"] == kind for _, q in questions):
            continue
        _fill(builder, len(questions) + 1, questions, used, used_pairs, (kind,))
        if len(questions) > target:
            counts = Counter(q["type"] for _, q in questions)
            most = max(counts, key=lambda k: counts[k])
            del questions[max(i for i, (_, q) in enumerate(questions) if q["type"] == most)]


def build_questions(
    corpus: Corpus, *, count: int | None = None, seed: int = 0, types: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Return up to `count` questions (default: see default_count) of the given types (default: all
    five): from prose, then from the fallback."""
    target = default_count(corpus) if count is None else count
    builder = _Builder(corpus, seed)
    used: set[int] = set()
    used_pairs: set[tuple[int, str]] = set()
    questions: list[tuple[int, dict[str, Any]]] = []
    kinds = types or TYPE_CYCLE
    if corpus.language == "en":
        builder.english = _english(corpus, target, builder.rng)
        if builder.english is not None:
            _fill(builder, target, questions, used, used_pairs, kinds)
            builder.english = None  # what the parse could not ask, plain key-term questions may
            _cover_kinds(builder, target, questions, used, used_pairs, kinds)
    _fill(builder, target, questions, used, used_pairs, kinds)
    if len(questions) < target:
        wide = widen(corpus)
        if wide.usable:
            builder.widen(wide)
            _fill(builder, target, questions, used, used_pairs, kinds)
    return [q for _, q in sorted(questions, key=lambda item: item[0])]
