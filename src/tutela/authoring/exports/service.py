"""One module's content in a format a learning platform imports: the registry of formats and the one call.

Every writer takes the module's content and returns the file and an `ExportReport` that lists each
question the format cannot express (left out, never changed into something else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tutela.authoring.exports import aiken, cmi5, gift, moodle_xml, qti, scorm
from tutela.authoring.exports.exceptions import UnknownFormat
from tutela.authoring.exports.report import ExportReport, Numbered, keeps_every_question, plan
from tutela.authoring.exports.text import slug
from tutela.authoring.generation.schemas import Module, Question

Writer = Callable[[Module, list[Numbered]], bytes]
Refusal = Callable[[Question], str | None]


@dataclass(frozen=True)
class Format:
    """An export format: its name in URLs and on the command line, label, file suffix, media type, writer,
    why it refuses a question (None: it holds every type) and what is true of every export in it."""

    name: str
    label: str
    suffix: str
    media_type: str
    write: Writer
    refusal: Refusal = keeps_every_question
    notes: tuple[str, ...] = ()


_ZIP = "application/zip"
_TEXT = "text/plain; charset=utf-8"
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "scorm12",
            "SCORM 1.2",
            ".scorm12.zip",
            _ZIP,
            lambda m, k: scorm.write(m, k, scorm.SCORM12),
            notes=scorm.NOTES,
        ),
        Format(
            "scorm2004",
            "SCORM 2004 4th edition",
            ".scorm2004.zip",
            _ZIP,
            lambda m, k: scorm.write(m, k, scorm.SCORM2004),
            notes=scorm.NOTES,
        ),
        Format("cmi5", "cmi5", ".cmi5.zip", _ZIP, cmi5.write, notes=cmi5.NOTES),
        Format("qti21", "QTI 2.1", ".qti21.zip", _ZIP, lambda m, k: qti.write(m, k, qti.QTI21)),
        Format("qti30", "QTI 3.0", ".qti30.zip", _ZIP, lambda m, k: qti.write(m, k, qti.QTI30)),
        Format(
            "moodle_xml", "Moodle XML", ".moodle.xml", "application/xml", moodle_xml.write, moodle_xml.refusal
        ),
        Format("gift", "GIFT", ".gift.txt", _TEXT, gift.write, gift.refusal),
        Format("aiken", "Aiken", ".aiken.txt", _TEXT, aiken.write, aiken.refusal, aiken.NOTES),
    )
}


@dataclass(frozen=True)
class Export:
    """A written export: file name, media type, bytes and the report."""

    filename: str
    media_type: str
    data: bytes
    report: ExportReport


def find_format(name: str) -> Format:
    """The format called `name`, else UnknownFormat naming the ones there are."""
    try:
        return FORMATS[name]
    except KeyError:
        raise UnknownFormat(name, tuple(FORMATS)) from None


def export_module(content: Module, *, format_name: str) -> Export:
    """The module in the format called `format_name`, as a file named after its title."""
    fmt = find_format(format_name)
    kept, report = _plan(content, fmt)
    data = fmt.write(content, kept)
    filename = slug(content.title) + fmt.suffix
    return Export(filename=filename, media_type=fmt.media_type, data=data, report=report)


def coverage(content: Module) -> list[tuple[Format, ExportReport]]:
    """Every format with what it would keep and leave out of this module (for the review page)."""
    return [(fmt, _plan(content, fmt)[1]) for fmt in FORMATS.values()]


def _plan(content: Module, fmt: Format) -> tuple[list[Numbered], ExportReport]:
    return plan(content.questions, fmt=fmt.name, refusal=fmt.refusal, notes=fmt.notes)
