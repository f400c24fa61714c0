"""Module outlines: a title, learning objectives and chapters, following the sections of the source.

The title is the document's own (as the request names it) unless that is a file name; objectives come from
objectives.py.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tutela.gateway.providers.extractive.corpus import Corpus
from tutela.gateway.providers.extractive.objectives import build_objectives
from tutela.gateway.providers.extractive.templates import say

_UNNAMED_PAGES_PER_CHAPTER = 4
# What PDF metadata often holds instead of a title: a file name, an editor's window title, a URL.
_FILE_NAME = re.compile(
    r"\.(pdf|html?|docx?|odt|rtf|txt|tex|indd|qxd|pages)\s*$|^(microsoft (word|powerpoint) - |https?://|www\.)"
    r"|^[\w.-]*_[\w.-]*$|^untitled\b|^unbenannt\b|^sans titre\b",
    re.IGNORECASE,
)


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


def real_title(title: str | None) -> str | None:
    """The title as given, unless it is a file name, a URL or an editor's placeholder."""
    if title is None or not title.strip() or _FILE_NAME.search(title.strip()):
        return None
    return title.strip()


def build_outline(corpus: Corpus, title: str | None) -> dict[str, Any]:
    """Return a ModuleOutline: chapters from the sections, objectives from the document's central topics."""
    chapters = _chapters(corpus)
    out_chapters: list[dict[str, Any]] = []
    titles: list[str] = []
    has_headings = any(c.section for c in chapters)
    used: set[str] = set()
    for chapter in chapters:
        first, last = min(chapter.pages), max(chapter.pages)
        name = chapter.section
        if name is None:
            # Unnamed text before the first heading is front matter (title page, thanks): named by its pages.
            keys = [] if has_headings else _top_terms(corpus, chapter.sentences, used)
            used.update(keys[:1])
            name = (
                _capitalized(corpus.terms[keys[0]].text)
                if keys
                else say(corpus.language, "pages" if last > first else "page", first=first, last=last)
            )
        titles.append(name)
        out_chapters.append(
            {"title": name, "sources": [{"section": chapter.section, "first_page": first, "last_page": last}]}
        )
    headings = [c.section for c in chapters if c.section]
    objectives = build_objectives(corpus, headings)
    title = real_title(title)
    if not title:
        doc_keys = _top_terms(corpus, corpus.usable, set())
        if len(set(headings)) == 1:
            title = headings[0]
        else:
            title = _capitalized(corpus.terms[doc_keys[0]].text) if doc_keys else titles[0]
    return {"title": title, "learning_objectives": objectives, "chapters": out_chapters}
