"""Key-term choice per sentence, and wrong options drawn from other key terms of the same kind."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from tutela.gateway.providers.extractive.corpus import Corpus
from tutela.gateway.providers.extractive.terms import Candidate, fold

_NUMERIC = ("year", "percent", "number")


@dataclass(frozen=True, slots=True)
class KeyTerm:
    """The term of a sentence a question asks about, with the wrong options that could replace it."""

    text: str
    kind: str
    distractors: tuple[str, ...]


def occurrences(term: str, text: str) -> list[re.Match[str]]:
    """Return the whole-word occurrences of a term in a text."""
    return list(re.finditer(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text))


def related(a: str, b: str) -> bool:
    """Tell whether two terms are the same up to case, inflection or containment ("Raum" and "Räume")."""
    fa, fb = fold(a), fold(b)
    if fa in fb or fb in fa:
        return True
    stem = min(len(fa), len(fb), 5)
    return stem >= 4 and fa[:stem] == fb[:stem] and abs(len(fa) - len(fb)) <= 3


def _similarity(corpus: Corpus, answer: Candidate, other_key: str, section: str | None) -> float:
    other = corpus.terms[other_key]
    score = -abs(len(other.text) - len(answer.text)) / 8
    score += 0.5 if len(other.text.split()) == len(answer.text.split()) else 0.0
    score += 0.8 if section in other.sections else 0.0
    score += 0.4 if other.df >= 2 else 0.0
    if answer.kind in _NUMERIC:
        digits_a = sum(c.isdigit() for c in answer.text)
        digits_o = sum(c.isdigit() for c in other.text)
        score += 1.0 if digits_a == digits_o else 0.0
    return score


def distractors(
    corpus: Corpus, answer: Candidate, sentence: str, section: str | None, rng: random.Random, n: int = 3
) -> tuple[str, ...]:
    """Pick up to n terms of the answer's kind that are absent from the sentence and unlike each other."""
    folded = fold(sentence)
    pool = []
    for key, other in corpus.terms.items():
        if other.kind != answer.kind or related(other.text, answer.text) or key in folded:
            continue
        pool.append((_similarity(corpus, answer, key, section), other.text))
    pool.sort(key=lambda item: (-item[0], item[1]))
    shortlist = [text for _, text in pool[: max(2 * n, 6)]]
    rng.shuffle(shortlist)
    chosen: list[str] = []
    for text in shortlist:
        if not any(related(text, c) for c in chosen):
            chosen.append(text)
        if len(chosen) == n:
            break
    return tuple(chosen)


def key_term(corpus: Corpus, index: int, rng: random.Random, *, skip: tuple[str, ...] = ()) -> KeyTerm | None:
    """Choose the most characteristic term of a sentence that occurs in it exactly once, with distractors.

    `skip` leaves out kinds of term (a lowercase "phrase" where no tagger tells a noun phrase from a verb's).
    """
    sentence = corpus.sentences[index]
    definition = corpus.definitions.get(index)
    ranked: list[tuple[float, Candidate]] = []
    for c in corpus.sentence_terms.get(index, []):
        if c.key not in corpus.terms or c.kind in skip or len(occurrences(c.text, sentence.text)) != 1:
            continue
        # An inflected second occurrence ("Raum ... Raumes") would give the blanked answer away.
        if len(re.findall(rf"(?<![\w-]){re.escape(c.text[:5])}", sentence.text, re.IGNORECASE)) > 1:
            continue
        score = corpus.weight(c.key)
        if definition is not None and fold(c.text) in fold(definition.term):
            score += 2.0  # the defined term is the point of the sentence
        ranked.append((score, c))
    ranked.sort(key=lambda item: (-item[0], item[1].text))
    for _, c in ranked[:3]:
        wrong = distractors(corpus, c, sentence.text, sentence.section, rng)
        if wrong:
            return KeyTerm(c.text, c.kind, wrong)
    return None


_YEAR_STEPS = (1, 2, 3, 4, 5, 6, 8, 10)
_NUMBER_FACTORS = (2.0, 0.5, 1.5, 3.0, 0.75, 4.0)
_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")


def shifted_years(
    answer: str, known: list[str], avoid: str, rng: random.Random, n: int = 3
) -> tuple[str, ...]:
    """Other years for a year: the document's own nearby years first, then years a few apart."""
    year = int(answer)
    near = sorted(
        {y for y in known if y != answer and abs(int(y) - year) <= 30}, key=lambda y: abs(int(y) - year)
    )
    chosen = [y for y in near if y not in avoid][:n]
    steps = list(_YEAR_STEPS)
    rng.shuffle(steps)
    for step in steps:
        for other in (str(year + step), str(year - step)):
            if len(chosen) < n and other not in chosen and other not in avoid and int(other) <= 2100:
                chosen.append(other)
    return tuple(chosen[:n])


def _format_like(value: float, figure: str) -> str:
    decimals = len(figure.split(".", 1)[1]) if "." in figure else 0
    text = f"{value:,.{decimals}f}" if "," in figure else f"{value:.{decimals}f}"
    return text


def shifted_numbers(answer: str, avoid: str, rng: random.Random, n: int = 3) -> tuple[str, ...]:
    """Other figures for a figure, written the same way with the same unit ("20,000" -> "10,000")."""
    m = _FIGURE.search(answer)
    if m is None:
        return ()
    figure = m[0]
    value = float(figure.replace(",", ""))
    if value == 0:
        return ()
    percent = "%" in answer or "percent" in answer.casefold()
    factors = list(_NUMBER_FACTORS)
    rng.shuffle(factors)
    chosen: list[str] = []
    for factor in factors:
        shifted = value * factor
        if "." not in figure:
            shifted = round(shifted)
        if shifted == value or shifted <= 0 or (percent and shifted > 100):
            continue
        text = answer[: m.start()] + _format_like(shifted, figure) + answer[m.end() :]
        if text not in chosen and text not in avoid and text != answer:
            chosen.append(text)
        if len(chosen) == n:
            break
    return tuple(chosen)


def same_kind(
    answer: str, pool: dict[str, int], avoid: str, rng: random.Random, n: int = 3
) -> tuple[str, ...]:
    """Up to n other phrases of the answer's kind from the document, unlike the answer and each other."""
    folded = fold(avoid)
    words = len(answer.split())
    ranked = []
    for text, count in pool.items():
        if related(text, answer) or fold(text) in folded:
            continue
        score = -abs(len(text) - len(answer)) / 10 + (0.5 if len(text.split()) == words else 0.0)
        ranked.append((score + min(count, 3) * 0.3, text))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    shortlist = [text for _, text in ranked[: 2 * n]]
    rng.shuffle(shortlist)
    chosen: list[str] = []
    for text in shortlist:
        if not any(related(text, c) for c in chosen):
            chosen.append(text)
        if len(chosen) == n:
            break
    return tuple(chosen)
