"""Whether a model's reply to one generation stage can be used, for the built-in model and an LLM alike.

A reply is unusable when the model stopped at its token limit (`finish_reason == "length"`: the JSON is
cut off) or when it does not validate against the stage's schema. A usable reply may still hold items that
are not grounded in the passages it was given:
- a citation whose quote is not in a passage of the page it names (whitespace and end-of-line hyphenation
  are tolerated, as in checks.py);
- a question whose answer key its quote does not support, or whose key contradicts its options (the error
  rules of checks.py).
The pipeline asks once more with the problem named, then keeps only the grounded items (`prune`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tutela.authoring.generation.checks import question_errors, quote_in_text
from tutela.authoring.generation.schemas import Citation, Lesson, Question, QuestionSet, Summary
from tutela.gateway.wire.passages import Passage

M = TypeVar("M", bound=BaseModel)


class Unusable(Exception):
    """A reply that cannot be used at all: `problem` is told to the model, `reason` to the author."""

    def __init__(self, problem: str, reason: str) -> None:
        super().__init__(problem)
        self.problem, self.reason = problem, reason


def parse(
    model: type[M], name: str, content: str | None, finish_reason: str | None, *, salvage: bool = False
) -> tuple[M, int]:
    """The reply as the stage's model, or Unusable saying why not.

    With `salvage`, a question set whose JSON is sound but some of whose questions are not keeps the
    valid ones; the second number is how many were dropped.
    """
    if finish_reason == "length":
        raise Unusable(
            "it was cut off at the token limit; reply again, more briefly",
            "the model's reply was cut off at its token limit",
        )
    try:
        return model.model_validate_json(content or ""), 0
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "reply"
        salvaged = _valid_questions(content or "") if salvage and model is QuestionSet else None
        if salvaged is not None:
            kept, dropped = salvaged
            return model.model_validate(kept), dropped
        raise Unusable(
            f"it did not match the response schema ({where}: {first['msg']})",
            f"the model's reply did not match the {name} schema",
        ) from None


def _valid_questions(content: str) -> tuple[dict[str, Any], int] | None:
    """The valid questions of a question set whose other questions are not, or None when none is."""
    try:
        raw = json.loads(content)
    except ValueError:
        return None
    items = raw.get("questions") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return None
    kept: dict[str, Any] = {}
    for item in items:
        try:
            question = Question.model_validate(item)
        except ValidationError:
            continue
        kept.setdefault(" ".join(question.stem.split()).casefold(), item)
    return ({"questions": list(kept.values())}, len(items) - len(kept)) if kept else None


def _pages(passages: Sequence[Passage]) -> dict[int, list[str]]:
    by_page: dict[int, list[str]] = {}
    for p in passages:
        by_page.setdefault(p.page, []).append(p.text)
    return by_page


def _found(citation: Citation, pages: dict[int, list[str]]) -> bool:
    return any(quote_in_text(citation.quote, text) for text in pages.get(citation.page, []))


def _grounded_question(q: Question, pages: dict[int, list[str]]) -> bool:
    return _found(q.citation, pages) and not question_errors(q)


def ungrounded(value: BaseModel, passages: Sequence[Passage]) -> list[str]:
    """Where the reply is not grounded in the passages (JSON paths, no text); empty when it all is."""
    pages = _pages(passages)
    if isinstance(value, Lesson):
        return [
            f"paragraphs[{i}].citations[{k}]"
            for i, p in enumerate(value.paragraphs)
            for k, c in enumerate(p.citations)
            if not _found(c, pages)
        ]
    if isinstance(value, QuestionSet):
        return [f"questions[{i}]" for i, q in enumerate(value.questions) if not _grounded_question(q, pages)]
    if isinstance(value, Summary):
        return [f"citations[{k}]" for k, c in enumerate(value.citations) if not _found(c, pages)]
    return []


def problem_note(locations: list[str]) -> str:
    """What the retry tells the model about ungrounded items."""
    shown = ", ".join(locations[:5]) + (", …" if len(locations) > 5 else "")
    return (
        f"quotes not found in the source passages of the cited page, or answers their quote does not "
        f"support, at {shown}"
    )


def prune(value: M, passages: Sequence[Passage]) -> tuple[M | None, int]:
    """The reply without its ungrounded items, and how many were dropped; None when nothing is left."""
    pages = _pages(passages)
    if isinstance(value, Lesson):
        kept = [p for p in value.paragraphs if all(_found(c, pages) for c in p.citations)]
        dropped = len(value.paragraphs) - len(kept)
        return (value.model_copy(update={"paragraphs": kept}) if kept else None), dropped
    if isinstance(value, QuestionSet):
        questions = [q for q in value.questions if _grounded_question(q, pages)]
        return value.model_copy(update={"questions": questions}), len(value.questions) - len(questions)
    if ungrounded(value, passages):
        return None, 1
    return value, 0
