"""The extractive engine's entry point: fill one of Tutela's structured outputs from source passages only.

The passages are data. `instructions` (the prompt without the passages) is read for one setting only, the
number of questions; the question types come from the response schema (the `type` enum of its questions),
as they would for any model. Nothing inside a passage is ever read as an instruction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tutela.gateway.providers.extractive.corpus import PassageLike, build
from tutela.gateway.providers.extractive.exceptions import NoUsableText, UnknownSchema
from tutela.gateway.providers.extractive.lesson import build_lesson, build_summary
from tutela.gateway.providers.extractive.outline import build_outline
from tutela.gateway.providers.extractive.questions import build_questions
from tutela.gateway.providers.extractive.templates import say

SCHEMA_NAMES = ("module_outline", "lesson", "question_set", "summary")
# "questions" in the languages Tutela words questions in (templates.py); French writes it as English does.
_COUNT = re.compile(
    r"\b(\d{1,3})\s+(?:[\w-]+\s+){0,3}?(?:questions|fragen|preguntas|domande|perguntas|vragen|أسئلة)\b",
    re.IGNORECASE,
)
_MAX_QUESTIONS = 200


def requested_count(instructions: str) -> int | None:
    """Read "N questions" / "N Fragen" / "N preguntas" ... from the instructions, if they ask for a number."""
    m = _COUNT.search(instructions)
    return min(int(m[1]), _MAX_QUESTIONS) if m else None


def question_types(schema: dict[str, Any]) -> tuple[str, ...] | None:
    """The question types a question-set schema allows (its Question `type` enum), None when unrestricted."""
    question = schema.get("$defs", {}).get("Question", {})
    enum = question.get("properties", {}).get("type", {}).get("enum") if isinstance(question, dict) else None
    return tuple(str(t) for t in enum) if isinstance(enum, list) and enum else None


def fill(
    schema_name: str,
    passages: Sequence[PassageLike],
    instructions: str = "",
    *,
    title: str | None = None,
    language: str | None = None,
    seed: int = 0,
    question_types: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return a dict matching the named schema, built only from sentences and phrases of the passages."""
    if schema_name not in SCHEMA_NAMES:
        raise UnknownSchema(f"the extractive model cannot produce {schema_name!r}", param="response_format")
    corpus = build(passages, language, lenient=schema_name != "question_set")
    if not corpus.sentences or (not corpus.usable and schema_name != "question_set"):
        raise NoUsableText("the source passages contain no usable sentence", param="messages")
    if schema_name == "question_set":
        count = requested_count(instructions)
        return {"questions": build_questions(corpus, count=count, seed=seed, types=question_types)}
    if schema_name == "module_outline":
        return build_outline(corpus, title)
    if schema_name == "summary":
        return build_summary(corpus)
    sections = [p.section for p in passages if p.section]
    pages = [p.page for p in passages]
    lesson_title = title or (sections[0] if sections else None)
    if lesson_title is None:
        first, last = min(pages), max(pages)
        lesson_title = say(corpus.language, "pages" if last > first else "page", first=first, last=last)
    return build_lesson(corpus, lesson_title)
