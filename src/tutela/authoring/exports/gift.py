"""GIFT, Moodle's plain-text question format: every question type of a module has a native GIFT form.

    ::Q1::[plain]What is the capital of France?{
    =Paris
    ~Lyon
    ####Paris has been the capital since 987.
    }

- single choice `{=right ~wrong}`, multiple choice with `~%50%` / `~%-100%` weights, true/false `{T}` /
  `{F}`, short answer `{=a =b}`, fill-in-the-blank as GIFT's missing-word form `before {=a =b} after`;
- the explanation and its citation are the general feedback (`####`);
- `~ = # { } : \\` are escaped with a backslash, line breaks as `\\n`, text is marked `[plain]` so HTML in a
  stem shows as written.
"""

from __future__ import annotations

import re

from tutela.authoring.exports.report import Numbered
from tutela.authoring.exports.text import feedback, moodle_grade, moodle_literal, share_of, split_blank
from tutela.authoring.generation.schemas import Module, Question

_SPECIAL = re.compile(r"([\\~=#{}:])")
# A choice that starts like a weight (`%50%`) would be read as one; GIFT has no escape for it.
_LOOKS_LIKE_WEIGHT = re.compile(r"^\s*%-?\d+(\.\d+)?%")


def escape(text: str) -> str:
    """Text safe anywhere in GIFT: special characters escaped, line breaks as `\\n`, no blank lines."""
    escaped = _SPECIAL.sub(r"\\\1", text.strip())
    return "\\n".join(line.strip() for line in escaped.splitlines())


def _choices(question: Question) -> list[str]:
    if question.type == "true_false":
        return ["T" if question.answer[0] == "true" else "F"]
    if question.type in ("short_answer", "fill_in_blank"):
        return [f"={escape(moodle_literal(a))}" for a in question.answer]
    if question.type == "single_choice":
        return [f"{'=' if o in question.answer else '~'}{escape(o)}" for o in question.options]
    right = moodle_grade(share_of(len(question.answer)) or 0.0)
    return [f"~%{right if o in question.answer else '-100'}%{escape(o)}" for o in question.options]


def refusal(question: Question) -> str | None:
    """Why GIFT cannot hold the question, or None."""
    if question.type == "multiple_choice" and share_of(len(question.answer)) is None:
        return "Moodle's grades cannot split the mark evenly over this many right answers"
    if any(_LOOKS_LIKE_WEIGHT.match(o) for o in question.options):
        return "an option starts like a GIFT weight (%n%), which GIFT cannot escape"
    if any(not o.strip() for o in [*question.options, *question.answer]):
        return "an option or answer is blank, which GIFT cannot hold"
    return None


def _block(number: int, question: Question) -> str:
    answers = "\n".join([*_choices(question), f"####{escape(feedback(question))}"])
    head = f"// {question.type}\n::Q{number}::[plain]"
    before, after = split_blank(question.stem)
    if question.type == "fill_in_blank" and before.strip():
        # GIFT's missing-word form: the answers stand where the blank was.
        return f"{head}{escape(before)} {{\n{answers}\n}} {escape(after)}\n"
    return f"{head}{escape(question.stem)}{{\n{answers}\n}}\n"


def write(module: Module, kept: list[Numbered]) -> bytes:
    """The kept questions as a GIFT file."""
    return "\n".join(_block(number, question) for number, question in kept).encode("utf-8")
