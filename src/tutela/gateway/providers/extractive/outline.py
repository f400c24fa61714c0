"""Module outlines: a title, learning objectives and chapters, following the sections of the source."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tutela.gateway.providers.extractive.corpus import Corpus
from tutela.gateway.providers.extractive.templates import say

_MAX_OBJECTIVES = 8
_UNNAMED_PAGES_PER_CHAPTER = 4


@dataclass
class _Chapter:
    section: str | None
    pages: list[int]
    sentences: list[int]


def _chapters(corpus: Corpus) -> list[_Chapter]:
    """Group passages into chapters: one per run of a named section; unnamed runs by a few pages each."""
    chapters: list[_Chapter] = []
    by_passage: dict[int, list[int]] = {}
    for s in corpus.sentences:
        by_passage.setdefault(s.passage, []).append(s.index)
    for pi, passage in enumerate(corpus.passages):
        last = chapters[-1] if chapters else None
        continues = last is not None and last.section == passage.section
        if continues and passage.section is None and last is not None:
            continues = len(set(last.pages) | {passage.page}) <= _UNNAMED_PAGES_PER_CHAPTER
        if last is None or not continues:
            last = _Chapter(passage.section, [], [])
            chapters.append(last)
        last.pages.append(passage.page)
        last.sentences.extend(by_passage.get(pi, []))
    return [c for c in chapters if c.pages]


def _top_terms(corpus: Corpus, sentences: list[int], exclude: set[str]) -> list[str]:
    """Terms most characteristic of these sentences compared with the whole source."""
    inside = set(sentences) & set(corpus.usable)
    counts: Counter[str] = Counter()
    for i in inside:
        counts.update({c.key for c in corpus.sentence_terms.get(i, []) if c.key in corpus.terms})
    ranked = []
    for key, n in counts.items():
        term = corpus.terms[key]
        if term.kind in ("year", "percent", "number") or key in exclude or len(term.text) < 4:
            continue
        ranked.append((n * corpus.weight(key) / math.sqrt(term.df), term.text, key))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [key for _, _, key in ranked]


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def build_outline(corpus: Corpus, title: str | None) -> dict[str, Any]:
    """Return a ModuleOutline: chapters from the sections, objectives from each chapter's key terms."""
    chapters = _chapters(corpus)
    used: set[str] = set()
    out_chapters: list[dict[str, Any]] = []
    titles: list[str] = []
    objectives: list[str] = []
    has_headings = any(c.section for c in chapters)
    for chapter in chapters:
        keys = _top_terms(corpus, chapter.sentences, used)
        first, last = min(chapter.pages), max(chapter.pages)
        name = chapter.section
        # Unnamed text before the first heading is front matter (title page, thanks): no objective from it.
        front_matter = name is None and has_headings
        if name is None:
            name = (
                _capitalized(corpus.terms[keys[0]].text)
                if keys and not front_matter
                else say(corpus.language, "pages" if last > first else "page", first=first, last=last)
            )
        if keys and not front_matter and len(objectives) < _MAX_OBJECTIVES:
            template = f"objective_{len(objectives) % 2}"
            objectives.append(say(corpus.language, template, term=corpus.terms[keys[0]].text))
            used.add(keys[0])
        titles.append(name)
        out_chapters.append(
            {"title": name, "sources": [{"section": chapter.section, "first_page": first, "last_page": last}]}
        )
    if not title:
        named = [c.section for c in chapters if c.section]
        doc_keys = _top_terms(corpus, corpus.usable, set())
        if len(named) == 1:
            title = named[0]
        else:
            title = _capitalized(corpus.terms[doc_keys[0]].text) if doc_keys else titles[0]
    return {"title": title, "learning_objectives": objectives, "chapters": out_chapters}
