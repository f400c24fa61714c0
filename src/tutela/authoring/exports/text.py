"""Text every writer shares: the explanation with its citation, one-line plain text, Moodle's grade list."""

from __future__ import annotations

import re

from tutela.authoring.generation.schemas import BLANK, Question


def slug(text: str) -> str:
    """A file-name-safe form of a title: lowercase letters and digits joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "module"


def feedback(question: Question) -> str:
    """The explanation followed by its source: (document and) page, and the exact quote."""
    source = question.citation
    return f"{question.explanation}\n\nSource: {source.where}: \u201c{source.quote}\u201d"


def one_line(text: str) -> str:
    """All whitespace (line breaks included) as single spaces: for formats with line-based syntax."""
    return " ".join(text.split())


def split_blank(stem: str) -> tuple[str, str]:
    """A fill-in-the-blank stem as the text before and after its first blank."""
    before, _, after = stem.partition(BLANK)
    return before, after


# Moodle accepts only these grade percentages for an answer (question/format.php, grade_options).
MOODLE_GRADES = (
    100.0, 90.0, 83.33333, 80.0, 75.0, 70.0, 66.66667, 60.0, 50.0, 40.0,
    33.33333, 30.0, 25.0, 20.0, 16.66667, 14.28571, 12.5, 11.11111, 10.0, 5.0,
)  # fmt: skip


def share_of(count: int) -> float | None:
    """The Moodle grade for each of `count` right answers (100/count), None when Moodle has no such grade."""
    wanted = 100.0 / count
    for grade in MOODLE_GRADES:
        if abs(grade - wanted) < 0.001:
            return grade
    return None


def moodle_grade(value: float) -> str:
    """A grade as Moodle writes it: up to five decimals, no trailing zeros."""
    return f"{value:.5f}".rstrip("0").rstrip(".")


def moodle_literal(answer: str) -> str:
    """A typed answer as Moodle's short-answer grader must see it: `*` is its wildcard, so escaped."""
    return answer.replace("*", "\\*")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Text without the control characters XML 1.0 cannot carry (they are invisible in a question)."""
    return _NOT_XML.sub("", text)
