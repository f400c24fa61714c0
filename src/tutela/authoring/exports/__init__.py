"""LMS exports of one module (requirement L10: the customer takes what it generated to its own platforms).

service.py      the registry of formats and `export_module`
report.py       what an export kept and left out
qti.py          QTI 2.1 and 3.0 item banks (items, test, manifest)
moodle_xml.py   Moodle XML question bank
gift.py         GIFT question bank
aiken.py        Aiken question bank (single-answer choice only)
"""

from tutela.authoring.exports.exceptions import UnknownFormat
from tutela.authoring.exports.report import ExportReport, Omission
from tutela.authoring.exports.service import (
    FORMATS,
    Export,
    Format,
    coverage,
    export_module,
    find_format,
)

__all__ = [
    "FORMATS",
    "Export",
    "ExportReport",
    "Format",
    "Omission",
    "UnknownFormat",
    "coverage",
    "export_module",
    "find_format",
]
