"""Detectors for lessons, objectives and module titles (the question detectors are in quality_detectors.py).

Classes: lesson (fragments, dangling references, broken words, duplicated paragraphs), obj (vague or not about
the document), title (a file name, a page range or a URL).
"""

from __future__ import annotations

import re

from benchmarks.quality_detectors import (
    POINTING_PHRASES,
    Source,
    dangling_reference,
    leading_connective,
    normalized,
    words,
)

_VAGUE_VERBS = re.compile(
    r"^(understand|know|learn|appreciate|be aware of|become familiar with|comprendre|connaître|"
    r"verstehen|kennen|comprender|conocer)\b",
    re.IGNORECASE,
)
_TEMPLATE_OBJECTIVE = re.compile(
    r"^(explain|describe the role of|expliquer|décrire le rôle de|erklären|die rolle von|explicar|"
    r"describir el papel de)\s+[«„“\"]?\s*(?P<object>[^.»“”\"]+?)\s*[»“”\"]?\s*"
    r"(erklären können|beschreiben können)?\.?$",
    re.IGNORECASE,
)
# A word cut at a line end ("cal- culation"), not a suspended compound ("Multiuser- und Multitasking-").
_HYPHEN_BREAK = re.compile(r"\b[^\W\d_]{2,}- (?!(und|oder|bzw|sowie|wie|als|and|or|et|ou|y|o)\b)[a-z]{2,}\b")

# What makes "Explain ..." specific: how, why or what something is, a difference, the steps of something.
_SPECIFIC_TOPIC = re.compile(
    r"^(how|why|what|when|the (difference|relation|steps|stages)|comment|pourquoi|ce qu|la différence|"
    r"les étapes|cómo|por qué|qué|la diferencia|las etapas|können, (was|wie|warum))\b",
    re.IGNORECASE,
)


def vague_objective(objective: str, source: Source) -> bool:
    """An objective that is vague ("Understand X", "Explain Commons.", "Describe the role of Python.") or
    not about the document (its topic is rare in the text)."""
    text = objective.strip()
    if _VAGUE_VERBS.match(text):
        return True
    template = _TEMPLATE_OBJECTIVE.match(text)
    if template:
        topic = template.group("object")
        if not _SPECIFIC_TOPIC.match(topic):
            return True
    content = [w for w in words(text)[1:] if len(w) > 3]
    if not content:
        return True
    rare = [w for w in content if f" {w}" not in f" {source.text}"]
    return len(rare) > len(content) / 2


# Anaphora that a paragraph of running prose resolves itself ("..., the captain accompanies the inspector as
# soon as the latter passes him"): a dangling reference only where the paragraph opens with it.
_ANAPHORA = re.compile(
    r"\b(that year|the same year|this year|that time|at that time|the latter|the former)\b", re.IGNORECASE
)


def _points_out(paragraph: str) -> bool:
    """A paragraph that points outside itself: to a figure, a table, another place, or (in its first
    words) to something said before it."""
    pointing = [m for m in POINTING_PHRASES.finditer(paragraph) if not _ANAPHORA.fullmatch(m[0])]
    return bool(pointing) or bool(_ANAPHORA.search(_opening(paragraph)))


def _opening(paragraph: str) -> str:
    return " ".join(paragraph.split()[:8])


def broken_lesson(content: str, language: str = "en") -> list[str]:
    """What is wrong with a lesson's text: fragments, dangling references, broken words, doubled
    paragraphs. Empty when it reads well."""
    problems: list[str] = []
    paragraphs = [p.strip() for p in content.split("\n\n") if p.strip()]
    seen: set[str] = set()
    for paragraph in paragraphs:
        key = normalized(paragraph)
        if key in seen:
            problems.append("duplicated paragraph")
        seen.add(key)
        if paragraph[:1].islower() or not paragraph.endswith((".", "!", "?", ".”", '."', ":", "»", ".)")):
            problems.append("fragment")
        if _HYPHEN_BREAK.search(paragraph):
            problems.append("broken word")
        if _points_out(paragraph):
            problems.append("dangling reference")
        elif leading_connective(paragraph, language) or dangling_reference(_opening(paragraph), language):
            problems.append("opens on a missing sentence")
    return problems


def duplicated_across(lessons: list[str]) -> int:
    """How many lessons repeat a paragraph already given in an earlier lesson."""
    seen: set[str] = set()
    repeated = 0
    for content in lessons:
        keys = {normalized(p) for p in content.split("\n\n") if len(p.split()) >= 8}
        if keys & seen:
            repeated += 1
        seen |= keys
    return repeated


def file_name_title(title: str) -> bool:
    """A module title that is a file name, a page range or a URL rather than the document's title."""
    text = title.strip()
    return bool(
        re.search(r"\.(pdf|html?|docx?|odt|txt|tex|indd|qxd)\b", text, re.I)
        or re.match(r"^(pages?|seiten?|páginas?|pagine?)\s+\d", text, re.I)
        or re.match(r"^(https?://|www\.)", text)
        or (" " not in text and ("_" in text or re.search(r"\d{3,}", text)))
        or re.match(r"^(microsoft word|untitled|unbenannt|sans titre)\b", text, re.I)
    )
