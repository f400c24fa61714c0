"""What an export kept and what it left out: every question a format cannot express is listed, never
changed behind the author's back."""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import BaseModel, Field

from tutela.authoring.generation.schemas import Question


class Omission(BaseModel):
    """One question the format could not hold, and why."""

    question: int = Field(ge=1, description="The question's number in the module, from 1.")
    type: str
    reason: str


class ExportReport(BaseModel):
    """The export's account of itself: format, how many questions went in, which were left out."""

    format: str
    questions_total: int
    questions_exported: int
    omitted: list[Omission] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def header(self) -> str:
        """The report as compact ASCII JSON, for an HTTP header."""
        return json.dumps(self.model_dump(), ensure_ascii=True, separators=(",", ":"))


Numbered = tuple[int, Question]  # a question and its number in the module, from 1


def plan(
    questions: list[Question], *, fmt: str, refusal: Callable[[Question], str | None], notes: tuple[str, ...]
) -> tuple[list[Numbered], ExportReport]:
    """The questions a format keeps, and the report naming each one it leaves out and why."""
    kept: list[Numbered] = []
    omitted: list[Omission] = []
    for number, question in enumerate(questions, start=1):
        reason = refusal(question)
        if reason is None:
            kept.append((number, question))
        else:
            omitted.append(Omission(question=number, type=question.type, reason=reason))
    report = ExportReport(
        format=fmt,
        questions_total=len(questions),
        questions_exported=len(kept),
        omitted=omitted,
        notes=list(notes),
    )
    return kept, report


def keeps_every_question(question: Question) -> str | None:
    """The refusal of a format that holds every question type."""
    return None
