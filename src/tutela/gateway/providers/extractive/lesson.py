"""Lessons and summaries: the most informative sentences of the source, in source order, each cited.

A lesson reads as prose, not as a list of quotes: a sentence that leans on the one before it ("However, ...",
"This means ...") comes with that sentence or not at all, and never opens a paragraph alone; a sentence that
points to a figure, a table or "see above" is left out; no paragraph is given twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tutela.gateway.providers.extractive.context import leans_back, points_elsewhere
from tutela.gateway.providers.extractive.corpus import Corpus, salience
from tutela.gateway.providers.extractive.terms import words

_PARAGRAPH_SENTENCES = 3
_REDUNDANT = 0.5  # share of content words already said, beyond which a sentence adds too little


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _with_antecedent(corpus: Corpus, i: int, allowed: set[int]) -> list[int] | None:
    """The sentence with the one it leans on, if it leans on one; None when that one cannot be given."""
    sentence = corpus.sentences[i]
    if points_elsewhere(sentence.text):
        return None
    if not leans_back(sentence.text, corpus.language):
        return [i]
    before = i - 1
    if (
        before not in allowed
        or corpus.sentences[before].passage != sentence.passage
        or leans_back(corpus.sentences[before].text, corpus.language)
        or points_elsewhere(corpus.sentences[before].text)
    ):
        return None
    return [before, i]


def select(corpus: Corpus, candidates: Sequence[int], k: int) -> list[int]:
    """Pick about k high-scoring sentences that do not repeat one another, each readable where it stands
    (with the sentence it leans on), returned in source order."""
    scores = salience(corpus, candidates)
    first_of_passage: dict[int, int] = {}
    for i in candidates:
        first_of_passage.setdefault(corpus.sentences[i].passage, i)
    for i in first_of_passage.values():
        scores[i] *= 1.15  # a section's opening sentences usually say what it is about
    allowed = set(candidates)
    chosen: list[int] = []
    said: list[set[str]] = []
    for i in sorted(candidates, key=lambda i: (-scores[i], i)):
        unit = _with_antecedent(corpus, i, allowed)
        if unit is None:
            continue
        fresh = [j for j in unit if j not in chosen]
        bags = [{w for w in words(corpus.sentences[j].text) if w not in corpus.stop} for j in fresh]
        if not fresh or any(_overlap(bag, other) > _REDUNDANT for bag in bags for other in said):
            continue
        chosen.extend(fresh)
        said.extend(bags)
        if len(chosen) >= k:
            break
    if not chosen and candidates:  # nothing stands alone: the best sentence is still better than no lesson
        chosen = [max(candidates, key=lambda i: (scores[i], -i))]
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
    """Group chosen sentences into paragraphs (by passage, about three sentences, never starting on a
    sentence that leans on the one before) with their citations; a paragraph already given is dropped."""
    groups: list[list[int]] = []
    for i in chosen:
        last = groups[-1] if groups else None
        same_passage = last is not None and corpus.sentences[last[-1]].passage == corpus.sentences[i].passage
        leaning = leans_back(corpus.sentences[i].text, corpus.language)
        if last is not None and same_passage and (len(last) < _PARAGRAPH_SENTENCES or leaning):
            last.append(i)
        else:
            groups.append([i])
    written: list[dict[str, Any]] = []
    seen: set[str] = set()
    for group in groups:
        content = " ".join(corpus.sentences[i].text for i in group)
        key = " ".join(words(content))
        if key in seen:
            continue
        seen.add(key)
        written.append({"content": content, "citations": _citations(corpus, group)})
    return written


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
    allowed = set(corpus.usable)
    for i in sorted(corpus.usable, key=lambda i: (-scores[i], i)):
        if _with_antecedent(corpus, i, allowed) == [i]:  # a summary sentence must stand alone
            best_by_section.setdefault(corpus.sentences[i].section, i)
    picks = sorted(best_by_section.values(), key=lambda i: (-scores[i], i))[:sentences]
    if len(picks) < sentences:
        picks = sorted(set(picks) | set(select(corpus, corpus.usable, sentences)))[:sentences]
    chosen = sorted(picks)
    return {
        "content": " ".join(corpus.sentences[i].text for i in chosen),
        "citations": [{"page": corpus.sentences[i].page, "quote": corpus.quote(i, i)} for i in chosen],
    }
