"""Lessons and summaries: the most informative sentences of the source, in source order, each cited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tutela.gateway.providers.extractive.corpus import Corpus, salience
from tutela.gateway.providers.extractive.terms import words

_PARAGRAPH_SENTENCES = 3
_REDUNDANT = 0.5  # share of content words already said, beyond which a sentence adds too little


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def select(corpus: Corpus, candidates: Sequence[int], k: int) -> list[int]:
    """Pick the k highest-scoring sentences that do not repeat one another, returned in source order."""
    scores = salience(corpus, candidates)
    first_of_passage: dict[int, int] = {}
    for i in candidates:
        first_of_passage.setdefault(corpus.sentences[i].passage, i)
    for i in first_of_passage.values():
        scores[i] *= 1.15  # a section's opening sentences usually say what it is about
    chosen: list[int] = []
    said: list[set[str]] = []
    for i in sorted(candidates, key=lambda i: (-scores[i], i)):
        bag = {w for w in words(corpus.sentences[i].text) if w not in corpus.stop}
        if any(_overlap(bag, other) > _REDUNDANT for other in said):
            continue
        chosen.append(i)
        said.append(bag)
        if len(chosen) == k:
            break
    return sorted(chosen)


def _citations(corpus: Corpus, group: list[int]) -> list[dict[str, Any]]:
    """One citation per run of adjacent sentences: the exact source text from its first to its last."""
    citations = []
    run = [group[0]]
    for i in group[1:]:
        if i == run[-1] + 1 and corpus.sentences[i].passage == corpus.sentences[run[0]].passage:
            run.append(i)
            continue
        citations.append({"page": corpus.sentences[run[0]].page, "quote": corpus.quote(run[0], run[-1])})
        run = [i]
    citations.append({"page": corpus.sentences[run[0]].page, "quote": corpus.quote(run[0], run[-1])})
    return citations


def paragraphs(corpus: Corpus, chosen: list[int]) -> list[dict[str, Any]]:
    """Group chosen sentences into paragraphs (by passage, at most three sentences) with their citations."""
    groups: list[list[int]] = []
    for i in chosen:
        last = groups[-1] if groups else None
        same_passage = last is not None and corpus.sentences[last[-1]].passage == corpus.sentences[i].passage
        if last is not None and same_passage and len(last) < _PARAGRAPH_SENTENCES:
            last.append(i)
        else:
            groups.append([i])
    return [
        {"content": " ".join(corpus.sentences[i].text for i in g), "citations": _citations(corpus, g)}
        for g in groups
    ]


def lesson_length(corpus: Corpus) -> int:
    """Return how many sentences a lesson keeps: about a third of the usable ones, 3 to 15."""
    return max(3, min(15, round(len(corpus.usable) / 3)))


def build_lesson(corpus: Corpus, title: str) -> dict[str, Any]:
    """Return a Lesson: the section's most informative sentences, in source order, with citations."""
    return {
        "title": title,
        "paragraphs": paragraphs(corpus, select(corpus, corpus.usable, lesson_length(corpus))),
    }


def build_summary(corpus: Corpus, sentences: int = 5) -> dict[str, Any]:
    """Return a Summary: the best sentence of each section (most salient sections first), in source order."""
    best_by_section: dict[str | None, int] = {}
    scores = salience(corpus, corpus.usable)
    for i in sorted(corpus.usable, key=lambda i: (-scores[i], i)):
        best_by_section.setdefault(corpus.sentences[i].section, i)
    picks = sorted(best_by_section.values(), key=lambda i: (-scores[i], i))[:sentences]
    if len(picks) < sentences:
        picks = sorted(set(picks) | set(select(corpus, corpus.usable, sentences)))[:sentences]
    chosen = sorted(picks)
    return {
        "content": " ".join(corpus.sentences[i].text for i in chosen),
        "citations": [{"page": corpus.sentences[i].page, "quote": corpus.quote(i, i)} for i in chosen],
    }
