"""Render a corpus text (benchmarks/corpus/*.txt.gz, markup in corpus/convert.py) as a book-like PDF.

    python benchmarks/render_pdf.py benchmarks/corpus/debian-reference.fr.txt.gz [OUT.pdf]

The PDF looks like a printed book as an author would upload it: a title page, a rights page, a table of
contents with page numbers, each chapter on a new page under a large heading, numbered sections in bold,
commands and tables in a monospaced font, the book's title as a running header and the page number in the
footer, footnote markers as superscript numbers glued to the word, and the notes gathered at the end of the
book. It carries no bookmarks, so structure has to be read from typography, as with many real files.
Fonts: Bitstream Vera, shipped with reportlab (embedded, so the text extracts as Unicode).
"""

from __future__ import annotations

import gzip
import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import reportlab
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, Preformatted, SimpleDocTemplate, Spacer
from reportlab.platypus.tableofcontents import TableOfContents

RENDERER_VERSION = "1"  # part of the cache key: bump when the layout changes
_FONTS = Path(reportlab.__file__).parent / "fonts"
_MARKER = re.compile(r"\[\^(\w+)\]")
_NOTE = re.compile(r"^\[\^(\w+)\]: (.*)$")
_NOTES_HEADING = {"en": "Notes", "fr": "Notes", "de": "Anmerkungen", "es": "Notas"}
_CONTENTS_HEADING = {"en": "Contents", "fr": "Table des matières", "de": "Inhalt", "es": "Índice"}


@dataclass
class Book:
    """A corpus text parsed from its markup."""

    meta: dict[str, str] = field(default_factory=dict)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (kind, text): h1 h2 h3 p pre
    notes: dict[str, str] = field(default_factory=dict)


def parse(text: str) -> Book:
    """Read the markup: metadata, headings, paragraphs, preformatted blocks and footnotes."""
    book = Book()
    pre: list[str] = []
    for line in text.splitlines():
        if line.startswith("    "):
            pre.append(line[4:])
            continue
        if pre:
            book.blocks.append(("pre", "\n".join(pre)))
            pre = []
        if not line.strip():
            continue
        if line.startswith("% ") and ":" in line and not book.blocks:
            key, value = line[2:].split(":", 1)
            book.meta[key.strip()] = value.strip()
        elif note := _NOTE.match(line):
            book.notes[note.group(1)] = note.group(2)
        elif heading := re.match(r"^(#{1,3}) (.*)$", line):
            book.blocks.append((f"h{len(heading.group(1))}", heading.group(2)))
        else:
            book.blocks.append(("p", line))
    if pre:
        book.blocks.append(("pre", "\n".join(pre)))
    return book


def _styles() -> dict[str, ParagraphStyle]:
    for name, file in (("Vera", "Vera.ttf"), ("Vera-Bold", "VeraBd.ttf"), ("Vera-Italic", "VeraIt.ttf")):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(_FONTS / file)))
    body = _style("body", "Vera", 9.5, 12.5, alignment=TA_JUSTIFY, spaceAfter=4)
    return {
        "p": body,
        "pre": _style("pre", "Courier", 6.5, 8, spaceAfter=5, leftIndent=6),
        "h1": _style("h1", "Vera-Bold", 17, 21, spaceAfter=14, spaceBefore=30),
        "h2": _style("h2", "Vera-Bold", 12, 15, spaceAfter=5, spaceBefore=9),
        "h3": _style("h3", "Vera-Bold", 10, 13, spaceAfter=3, spaceBefore=6),
        "title": _style("title", "Vera-Bold", 22, 28, alignment=TA_CENTER),
        "author": _style("author", "Vera", 13, 18, alignment=TA_CENTER),
        "small": _style("small", "Vera-Italic", 8, 11),
        "note": _style("note", "Vera", 8, 10, alignment=TA_JUSTIFY, spaceAfter=3),
        "toc1": _style("toc1", "Vera", 9, 12),
        "toc2": _style("toc2", "Vera", 8, 10, leftIndent=12),
    }


def _style(name: str, font: str, size: float, leading: float, **options: Any) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, **options)


def _inline(text: str, notes: dict[str, str]) -> str:
    escaped = html.escape(text, quote=False)
    return _MARKER.sub(lambda m: f"<super>{m.group(1)}</super>" if m.group(1) in notes else "", escaped)


class _BookTemplate(SimpleDocTemplate):  # type: ignore[misc]
    def afterFlowable(self, flowable: Any) -> None:
        level = getattr(flowable, "toc_level", None)
        if level is not None:
            self.notify("TOCEntry", (level, flowable.getPlainText(), self.page))


def render(book: Book, out: Path) -> None:
    """Write the book as a PDF at out."""
    styles = _styles()
    title = book.meta.get("title", "Untitled")
    language = book.meta.get("language", "en")
    story: list[Any] = [Spacer(1, 50 * mm), Paragraph(html.escape(title), styles["title"])]
    story.append(Spacer(1, 12 * mm))
    story += [Paragraph(html.escape(book.meta.get("author", "")), styles["author"]), PageBreak()]
    rights = book.meta.get("rights") or book.meta.get("source", "")
    story += [Spacer(1, 120 * mm), Paragraph(html.escape(rights), styles["small"]), PageBreak()]
    contents = TableOfContents(levelStyles=[styles["toc1"], styles["toc2"]], dotsMinLevel=0)
    story += [Paragraph(_CONTENTS_HEADING.get(language, "Contents"), styles["h1"]), contents, PageBreak()]
    started = False
    for kind, text in book.blocks:
        if kind == "h1":
            if started:
                story.append(PageBreak())
            started = True
        if kind == "pre":
            story.append(Preformatted(text, styles["pre"], maxLineLength=95, newLineChars=""))
            continue
        paragraph = Paragraph(_inline(text, book.notes), styles[kind])
        if kind in ("h1", "h2"):
            paragraph.toc_level = 0 if kind == "h1" else 1
        story.append(paragraph)
    if book.notes:
        story += [PageBreak(), Paragraph(_NOTES_HEADING.get(language, "Notes"), styles["h1"])]
        for key, text in book.notes.items():
            story.append(Paragraph(f"{html.escape(key)}. {html.escape(text)}", styles["note"]))

    def decorate(canvas: Any, doc: Any) -> None:
        if doc.page <= 3:
            return
        canvas.saveState()
        canvas.setFont("Vera-Italic", 7)
        canvas.drawCentredString(A5[0] / 2, A5[1] - 10 * mm, title)
        canvas.setFont("Vera", 8)
        canvas.drawCentredString(A5[0] / 2, 9 * mm, str(doc.page))
        canvas.restoreState()

    document = _BookTemplate(
        str(out),
        pagesize=A5,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=book.meta.get("author", ""),
    )
    document.multiBuild(story, onLaterPages=decorate, onFirstPage=decorate)


def main() -> None:
    source = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else source.with_suffix("").with_suffix(".pdf")
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        render(parse(handle.read()), out)
    print(out)


if __name__ == "__main__":
    main()
