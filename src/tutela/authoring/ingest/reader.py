"""Reading a PDF with pdfium into plain data; runs only inside the sandboxed child."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

from .builder import build_document
from .exceptions import (
    BrokenPdf,
    IngestError,
    NoTextLayer,
    PdfPasswordRequired,
    PdfWrongPassword,
    TooManyPages,
)
from .headings import Bookmark
from .lines import Line, read_lines

_DEFAULT_PAGE_HEIGHT = 792.0  # US Letter, for pages whose size cannot be read
_MAX_BOOKMARKS = 5000


def _open_error(error: Any, password: str | None) -> IngestError:
    code = getattr(error, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return PdfWrongPassword() if password else PdfPasswordRequired()
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return BrokenPdf("This PDF uses an unsupported kind of encryption; upload an unprotected copy.")
    return BrokenPdf()


def _read_page(pdf: Any, index: int) -> tuple[list[Line], float] | None:
    """The page's lines and height, or None when pdfium cannot load the page."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return None
    try:
        textpage = page.get_textpage()
        try:
            return read_lines(textpage), float(page.get_height()) or _DEFAULT_PAGE_HEIGHT
        finally:
            textpage.close()
    except pdfium.PdfiumError:
        return None
    finally:
        page.close()


def _read_bookmarks(pdf: Any, page_count: int) -> list[Bookmark]:
    bookmarks: list[Bookmark] = []
    for item in pdf.get_toc(max_depth=8):
        if len(bookmarks) >= _MAX_BOOKMARKS:
            break
        title = " ".join(str(item.get_title()).split())
        dest = item.get_dest()
        index = dest.get_index() if dest is not None else None
        # A bookmark that points nowhere cannot be placed in the text, so it is not a heading.
        if title and index is not None and 0 <= index < page_count:
            bookmarks.append(Bookmark(level=int(item.level) + 1, title=title, page=int(index) + 1))
    return bookmarks


def read_pdf(data: bytes, *, password: str | None, max_pages: int) -> dict[str, Any]:
    """Extract the document's text structure; raises an IngestError for files it refuses."""
    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as error:
        raise _open_error(error, password) from error
    try:
        page_count = len(pdf)
        if page_count < 1:
            raise BrokenPdf()
        if page_count > max_pages:
            raise TooManyPages.for_count(page_count, max_pages)
        pages: list[list[Line]] = []
        heights: list[float] = []
        unreadable = 0
        for index in range(page_count):
            read = _read_page(pdf, index)
            unreadable += read is None
            lines, height = read if read is not None else ([], _DEFAULT_PAGE_HEIGHT)
            pages.append(lines)
            heights.append(height)
        if unreadable == page_count:
            raise BrokenPdf()
        if not any(char.isalnum() for lines in pages for line in lines for char in line.text):
            raise NoTextLayer()
        title = pdf.get_metadata_value("Title")
        return build_document(pages, heights, _read_bookmarks(pdf, page_count), str(title) if title else None)
    finally:
        pdf.close()
