"""Moodle XML: Moodle's own question-bank format, with a native type for every question of a module.

single choice and multiple choice are `multichoice` (`single` true/false; for several right answers each
right option carries an equal share of the mark and each wrong one -100%, so only the exact set scores
full marks), true/false is `truefalse`, short answer and fill-in-the-blank are `shortanswer` (the blank
stays in the stem; `*`, Moodle's wildcard, is escaped). Text is `plain_text`, so HTML in a stem is shown
as written; the explanation and its citation are the general feedback. One category holds the questions.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tutela.authoring.exports.report import Numbered
from tutela.authoring.exports.text import feedback, moodle_grade, moodle_literal, share_of, xml_safe
from tutela.authoring.generation.schemas import Module, Question

_TYPES = {
    "single_choice": "multichoice",
    "multiple_choice": "multichoice",
    "true_false": "truefalse",
    "short_answer": "shortanswer",
    "fill_in_blank": "shortanswer",
}


def _text(parent: ET.Element, tag: str, value: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "plain_text", **attrs} if tag != "name" else attrs)
    ET.SubElement(element, "text").text = xml_safe(value)
    return element


def _plain(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _answers(element: ET.Element, question: Question) -> None:
    if question.type in ("short_answer", "fill_in_blank"):
        _plain(element, "usecase", "0")
        for answer in question.answer:
            _text(element, "answer", moodle_literal(answer), fraction="100")
        return
    if question.type == "true_false":
        for option in question.options:
            _text(element, "answer", option, fraction="100" if option in question.answer else "0")
        return
    single = question.type == "single_choice"
    _plain(element, "single", "true" if single else "false")
    _plain(element, "shuffleanswers", "true")
    _plain(element, "answernumbering", "abc")
    right = "100" if single else moodle_grade(share_of(len(question.answer)) or 0.0)
    wrong = "0" if single else "-100"
    for option in question.options:
        _text(element, "answer", option, fraction=right if option in question.answer else wrong)


def _question(quiz: ET.Element, number: int, question: Question) -> None:
    element = ET.SubElement(quiz, "question", type=_TYPES[question.type])
    _text(element, "name", f"Q{number}")
    _text(element, "questiontext", question.stem)
    _text(element, "generalfeedback", feedback(question))
    _plain(element, "defaultgrade", "1")
    _plain(element, "penalty", "0")
    _plain(element, "hidden", "0")
    _answers(element, question)


def refusal(question: Question) -> str | None:
    """Why Moodle XML cannot hold the question, or None."""
    if question.type == "multiple_choice" and share_of(len(question.answer)) is None:
        return "Moodle's grades cannot split the mark evenly over this many right answers"
    return None


def write(module: Module, kept: list[Numbered]) -> bytes:
    """The kept questions as a Moodle XML file, in one category named after the module."""
    quiz = ET.Element("quiz")
    category = ET.SubElement(ET.SubElement(quiz, "question", type="category"), "category")
    ET.SubElement(category, "text").text = xml_safe(f"$course$/top/{module.title.replace('/', '//')}")
    for number, question in kept:
        _question(quiz, number, question)
    ET.indent(quiz)
    data: bytes = ET.tostring(quiz, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
