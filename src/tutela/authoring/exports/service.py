"""One module's content in a format a learning platform imports: the registry of formats and the one call.

Every writer takes the module's content and returns the file and an `ExportReport` that lists each
question the format cannot express (left out, never changed into something else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tutela.authoring.exports import aiken, cmi5, gift, moodle_xml, qti, scorm
from tutela.authoring.exports.exceptions import UnknownFormat
from tutela.authoring.exports.report import ExportReport
from tutela.authoring.exports.text import slug
from tutela.authoring.generation.schemas import Module

Writer = Callable[[Module], tuple[bytes, ExportReport]]


@dataclass(frozen=True)
class Format:
    """An export format: its name in URLs and on the command line, label, file suffix and media type."""

    name: str
    label: str
    suffix: str
    media_type: str
    write: Writer


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "scorm12", "SCORM 1.2", ".scorm12.zip", "application/zip", lambda m: scorm.write(m, scorm.SCORM12)
        ),
        Format(
            "scorm2004",
            "SCORM 2004 4th edition",
            ".scorm2004.zip",
            "application/zip",
            lambda m: scorm.write(m, scorm.SCORM2004),
        ),
        Format("cmi5", "cmi5", ".cmi5.zip", "application/zip", cmi5.write),
        Format("qti21", "QTI 2.1", ".qti21.zip", "application/zip", lambda m: qti.write(m, qti.QTI21)),
        Format("qti30", "QTI 3.0", ".qti30.zip", "application/zip", lambda m: qti.write(m, qti.QTI30)),
        Format("moodle_xml", "Moodle XML", ".moodle.xml", "application/xml", moodle_xml.write),
        Format("gift", "GIFT", ".gift.txt", "text/plain; charset=utf-8", gift.write),
        Format("aiken", "Aiken", ".aiken.txt", "text/plain; charset=utf-8", aiken.write),
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
    data, report = fmt.write(content)
    filename = slug(content.title) + fmt.suffix
    return Export(filename=filename, media_type=fmt.media_type, data=data, report=report)


def coverage(content: Module) -> list[tuple[Format, ExportReport]]:
    """Every format with what it would keep and leave out of this module (for the review page)."""
    return [(fmt, fmt.write(content)[1]) for fmt in FORMATS.values()]
