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


def key_term(corpus: Corpus, index: int, rng: random.Random) -> KeyTerm | None:
    """Choose the most characteristic term of a sentence that occurs in it exactly once, with distractors."""
    sentence = corpus.sentences[index]
    definition = corpus.definitions.get(index)
    ranked: list[tuple[float, Candidate]] = []
    for c in corpus.sentence_terms.get(index, []):
        if c.key not in corpus.terms or len(occurrences(c.text, sentence.text)) != 1:
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
