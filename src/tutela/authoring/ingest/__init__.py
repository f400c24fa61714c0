"""Ingest: turning an uploaded PDF into an ExtractedDocument, or refusing it with a clear reason.

Names are loaded on first use: the sandboxed parser imports this package too, and must not pay for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .document import ExtractedDocument, Heading, Page, Paragraph
    from .exceptions import (
        BrokenPdf,
        IngestError,
        IngestMemoryExceeded,
        IngestTimeout,
        NotAPdf,
        NoTextLayer,
        ParserBusy,
        PdfPasswordRequired,
        PdfTooLarge,
        PdfWrongPassword,
        TooManyPages,
    )
    from .limits import IngestLimits
    from .pdf import extract_pdf

_HOMES = {
    "ExtractedDocument": "document",
    "Heading": "document",
    "Page": "document",
    "Paragraph": "document",
    "BrokenPdf": "exceptions",
    "IngestError": "exceptions",
    "IngestMemoryExceeded": "exceptions",
    "IngestTimeout": "exceptions",
    "NoTextLayer": "exceptions",
    "NotAPdf": "exceptions",
    "ParserBusy": "exceptions",
    "PdfPasswordRequired": "exceptions",
    "PdfTooLarge": "exceptions",
    "PdfWrongPassword": "exceptions",
    "TooManyPages": "exceptions",
    "IngestLimits": "limits",
    "extract_pdf": "pdf",
}

__all__ = [
    "BrokenPdf",
    "ExtractedDocument",
    "Heading",
    "IngestError",
    "IngestLimits",
    "IngestMemoryExceeded",
    "IngestTimeout",
    "NoTextLayer",
    "NotAPdf",
    "Page",
    "Paragraph",
    "ParserBusy",
    "PdfPasswordRequired",
    "PdfTooLarge",
    "PdfWrongPassword",
    "TooManyPages",
    "extract_pdf",
]


def __getattr__(name: str) -> Any:
    """Import a public name from the module that defines it."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
