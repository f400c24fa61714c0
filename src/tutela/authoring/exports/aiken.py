"""Aiken: single-answer multiple choice as plain text, one question per block.

    What is the capital of France?
    A. Paris
    B. Lyon
    ANSWER: A

Moodle reads it line by line: a line starting `X. ` or `X) ` is an option, `ANSWER:` closes the question,
any other line starts one. So every text is written on one line, and a stem that itself looks like an
option or an answer line cannot be written. Only single-choice and true/false questions exist in Aiken;
there is no feedback, so explanations and citations do not travel.
"""

from __future__ import annotations

import re
import string

from tutela.authoring.exports.report import Numbered
from tutela.authoring.generation.schemas import Module, Question

_LOOKS_LIKE_OPTION = re.compile(r"^[A-Z][).][ \t]")
_TRUE_FALSE_LABELS = {"true": "True", "false": "False"}
_KINDS = {
    "multiple_choice": "multiple-answer",
    "fill_in_blank": "fill-in-the-blank",
    "short_answer": "short-answer",
}


def refusal(question: Question) -> str | None:
    """Why Aiken cannot hold the question, or None."""
    if question.type not in ("single_choice", "true_false"):
        return f"Aiken has only single-answer multiple choice, no {_KINDS[question.type]} questions"
    stem = " ".join(question.stem.split())
    if len(stem) < 2:
        return "Aiken readers skip lines shorter than two characters; the stem is too short"
    if _LOOKS_LIKE_OPTION.match(stem) or stem.startswith("ANSWER:"):
        return "the stem starts like an Aiken option or answer line and would be misread"
    if len(question.options) > len(string.ascii_uppercase):
        return "Aiken labels options A to Z; the question has more than 26 options"
    if any(not option.split() for option in question.options):
        return "an option is blank, which Aiken cannot hold"
    return None


def _block(question: Question) -> str:
    labels = [_TRUE_FALSE_LABELS[o] if question.type == "true_false" else o for o in question.options]
    lines = [" ".join(question.stem.split())]
    for letter, label in zip(string.ascii_uppercase, labels, strict=False):
        lines.append(f"{letter}. {' '.join(label.split())}")
    answer = string.ascii_uppercase[question.options.index(question.answer[0])]
    lines.append(f"ANSWER: {answer}")
    return "\n".join(lines) + "\n"


NOTES = ("Aiken has no feedback field: explanations and source citations are not included.",)


def write(module: Module, kept: list[Numbered]) -> bytes:
    """The kept questions as an Aiken text file."""
    return "\n".join(_block(question) for _, question in kept).encode("utf-8")
