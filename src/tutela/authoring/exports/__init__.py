"""LMS exports of one module or several (requirement L10: the customer takes what it generated to its own
platforms).

service.py      the registry of formats and `export_module`
bulk.py         several modules in one format, one zip with a combined report (`export_bulk`)
scorm.py        SCORM 1.2 and 2004 4th edition packages (the offline player in player/)
cmi5.py         cmi5 course structure and AU
report.py       what an export kept and left out
qti.py          QTI 2.1 and 3.0 item banks (items, test, manifest)
moodle_xml.py   Moodle XML question bank
gift.py         GIFT question bank
aiken.py        Aiken question bank (single-answer choice only)
"""

from tutela.authoring.exports.bulk import BulkReport, Exportable, ModuleReport, export_bulk
from tutela.authoring.exports.exceptions import UnknownFormat
from tutela.authoring.exports.report import ExportReport, Omission
from tutela.authoring.exports.scorm import DEFAULT_PASS_MARK
from tutela.authoring.exports.service import (
    FORMATS,
    Export,
    Format,
    coverage,
    export_module,
    find_format,
)

__all__ = [
    "DEFAULT_PASS_MARK",
    "FORMATS",
    "BulkReport",
    "Export",
    "ExportReport",
    "Exportable",
    "Format",
    "ModuleReport",
    "Omission",
    "UnknownFormat",
    "coverage",
    "export_bulk",
    "export_module",
    "find_format",
]
