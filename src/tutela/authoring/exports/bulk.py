"""Several modules in one LMS format, as one zip: the organization export and `tutela export` on many files.

<nnn>-<title><suffix>   one package or question bank per module, numbered in the order given
export-report.json      one combined report: per module its file, title and what the format left out
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from pydantic import BaseModel, Field

from tutela.authoring.exports.report import ExportReport
from tutela.authoring.exports.scorm import DEFAULT_PASS_MARK
from tutela.authoring.exports.service import export_module, find_format
from tutela.authoring.generation.schemas import Module

REPORT_NAME = "export-report.json"


@dataclass(frozen=True)
class Exportable:
    """One module to export: its content and its pass mark in percent."""

    content: Module
    pass_mark: int = DEFAULT_PASS_MARK


class ModuleReport(BaseModel):
    """What one module's file in a bulk export holds and leaves out."""

    file: str
    title: str
    pass_mark: int
    report: ExportReport


class BulkReport(BaseModel):
    """The combined report of a bulk export: the format and every module's report, in file order."""

    format: str
    modules: list[ModuleReport] = Field(default_factory=list)


def export_bulk(modules: list[Exportable], *, format_name: str) -> tuple[bytes, BulkReport]:
    """Every module in the format called `format_name`, one file each, in a zip with the combined report."""
    find_format(format_name)  # an unknown format is refused before anything is written
    report = BulkReport(format=format_name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, module in enumerate(modules, start=1):
            written = export_module(module.content, format_name=format_name, pass_mark=module.pass_mark)
            name = f"{number:03d}-{written.filename}"
            archive.writestr(name, written.data)
            report.modules.append(
                ModuleReport(
                    file=name, title=module.content.title, pass_mark=module.pass_mark, report=written.report
                )
            )
        archive.writestr(REPORT_NAME, report.model_dump_json(indent=2) + "\n")
    return buffer.getvalue(), report
