"""module.md: a module as one Markdown document an author can read and review.

Lesson citations become footnotes `[^n]: [p. N] "quote"` (`[Title, p. N]` in a module of several documents),
attached to the paragraph that shares most words with the quote (a lesson stores its citations for the whole
text, not per paragraph). Questions come with their answer key, explanation and page.
"""

from __future__ import annotations

import re

from tutela.authoring.generation.schemas import BLANK, Citation, Module, ModuleLesson, Question
from tutela.authoring.generation.timing import where

_QUOTE_CHARS = 300
_ESCAPED_BLANK = "\\_" * len(BLANK)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) > 2}


def _quote(citation: Citation) -> str:
    text = " ".join(citation.quote.split())
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "…"


def _where(citation: Citation) -> str:
    """ "p. 4" or "0:12–0:18" in a recording, after the document's title in a module of several."""
    place = where(citation)
    return f"{citation.document}, {place}" if citation.document else place


def _text(text: str) -> str:
    # The blank is five underscores, which Markdown would read as emphasis or a rule.
    return text.replace(BLANK, _ESCAPED_BLANK)


def _lesson(lesson: ModuleLesson, notes: list[str]) -> list[str]:
    paragraphs = [p for p in lesson.content.split("\n\n") if p.strip()]
    marks: list[list[int]] = [[] for _ in paragraphs]
    bags = [_words(p) for p in paragraphs]
    for citation in lesson.citations:
        quote = _words(citation.quote)
        best = max(range(len(paragraphs)), key=lambda i: (len(bags[i] & quote), -i))
        notes.append(f'[^{len(notes) + 1}]: [{_where(citation)}] "{_quote(citation)}"')
        marks[best].append(len(notes))
    return [f"{_text(p)}{''.join(f'[^{n}]' for n in m)}" for p, m in zip(paragraphs, marks, strict=True)]


def _question(number: int, q: Question) -> list[str]:
    lines = [f"{number}. {_text(q.stem)} *({q.type.replace('_', ' ')})*"]
    lines += [f"   - {_text(option)}" for option in q.options]
    return lines


def _key(number: int, q: Question) -> list[str]:
    answers = "; ".join(_text(a) for a in q.answer)
    return [
        f"{number}. **{answers}** — {_text(q.explanation)} [{_where(q.citation)}]",
    ]


def render_markdown(module: Module) -> str:
    """Render a module as Markdown: objectives, chapters and lessons with footnotes, questions, answer key."""
    out = [f"# {module.title}", ""]
    if module.learning_objectives:
        out += ["## Learning objectives", ""]
        out += [f"- {objective}" for objective in module.learning_objectives]
        out.append("")
    if module.summary:
        out += ["## Summary", "", module.summary, ""]
    notes: list[str] = []
    for chapter in module.chapters:
        out += [f"## {chapter.title}", ""]
        for lesson in chapter.lessons:
            out += [f"### {lesson.title}", ""]
            for paragraph in _lesson(lesson, notes):
                out += [paragraph, ""]
    if module.questions:
        out += ["## Questions", ""]
        for i, q in enumerate(module.questions, start=1):
            out += [*_question(i, q), ""]
        out += ["## Answer key", ""]
        for i, q in enumerate(module.questions, start=1):
            out += _key(i, q)
        out.append("")
    if notes:
        out += ["## Sources", "", *notes, ""]
    return "\n".join(out)
