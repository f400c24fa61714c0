"""What an export kept and what it left out: every question a format cannot express is listed, never
changed behind the author's back."""

from __future__ import annotations

import json

from pydantic import BaseModel, Field


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


class Collector:
    """Gathers omissions while a writer walks the questions."""

    def __init__(self, fmt: str, total: int) -> None:
        self.report = ExportReport(format=fmt, questions_total=total, questions_exported=0)

    def omit(self, number: int, question_type: str, reason: str) -> None:
        """Leave question `number` (from 1) out, saying why."""
        self.report.omitted.append(Omission(question=number, type=question_type, reason=reason))

    def kept(self) -> None:
        """Count one question written."""
        self.report.questions_exported += 1

    def note(self, text: str) -> None:
        """Something true of the whole export (e.g. a format without feedback drops the citations)."""
        self.report.notes.append(text)
