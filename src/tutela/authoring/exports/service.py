"""One module's content in a format a learning platform imports: the registry of formats and the one call.

Every writer takes the module's content and its pass mark (percent; the packages that score a learner
carry it, the question banks have no use for it) and returns the file and an `ExportReport` that lists each
question the format cannot express (left out, never changed into something else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tutela.authoring.exports import aiken, cmi5, gift, moodle_xml, qti, scorm
from tutela.authoring.exports.exceptions import UnknownFormat
from tutela.authoring.exports.report import ExportReport, Numbered, keeps_every_question, plan
from tutela.authoring.exports.scorm import DEFAULT_PASS_MARK
from tutela.authoring.exports.text import slug
from tutela.authoring.generation.schemas import Module, Question

Writer = Callable[[Module, list[Numbered], int], bytes]
Refusal = Callable[[Question], str | None]


@dataclass(frozen=True)
class Format:
    """An export format: its name in URLs and on the command line, label, file suffix, media type, writer,
    why it refuses a question (None: it holds every type) and what is true of every export in it
    (`{pass_mark}` in a note stands for the module's pass mark)."""

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
            lambda m, k, p: scorm.write(m, k, scorm.SCORM12, p),
            notes=scorm.NOTES,
        ),
        Format(
            "scorm2004",
            "SCORM 2004 4th edition",
            ".scorm2004.zip",
            _ZIP,
            lambda m, k, p: scorm.write(m, k, scorm.SCORM2004, p),
            notes=scorm.NOTES,
        ),
        Format("cmi5", "cmi5", ".cmi5.zip", _ZIP, cmi5.write, notes=cmi5.NOTES),
        Format("qti21", "QTI 2.1", ".qti21.zip", _ZIP, lambda m, k, _: qti.write(m, k, qti.QTI21)),
        Format("qti30", "QTI 3.0", ".qti30.zip", _ZIP, lambda m, k, _: qti.write(m, k, qti.QTI30)),
        Format(
            "moodle_xml",
            "Moodle XML",
            ".moodle.xml",
            "application/xml",
            lambda m, k, _: moodle_xml.write(m, k),
            moodle_xml.refusal,
        ),
        Format("gift", "GIFT", ".gift.txt", _TEXT, lambda m, k, _: gift.write(m, k), gift.refusal),
        Format(
            "aiken",
            "Aiken",
            ".aiken.txt",
            _TEXT,
            lambda m, k, _: aiken.write(m, k),
            aiken.refusal,
            aiken.NOTES,
        ),
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


def export_module(content: Module, *, format_name: str, pass_mark: int = DEFAULT_PASS_MARK) -> Export:
    """The module in the format called `format_name`, as a file named after its title; the packages that
    score a learner pass at `pass_mark` percent."""
    fmt = find_format(format_name)
    kept, report = _plan(content, fmt, pass_mark)
    data = fmt.write(content, kept, pass_mark)
    filename = slug(content.title) + fmt.suffix
    return Export(filename=filename, media_type=fmt.media_type, data=data, report=report)


def coverage(content: Module, *, pass_mark: int) -> list[tuple[Format, ExportReport]]:
    """Every format with what it would keep and leave out of this module (for the review page)."""
    return [(fmt, _plan(content, fmt, pass_mark)[1]) for fmt in FORMATS.values()]


def _plan(content: Module, fmt: Format, pass_mark: int) -> tuple[list[Numbered], ExportReport]:
    notes = tuple(note.replace("{pass_mark}", str(pass_mark)) for note in fmt.notes)
    return plan(content.questions, fmt=fmt.name, refusal=fmt.refusal, notes=notes)
