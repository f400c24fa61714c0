"""The book: title page, copyright page, dedication, contents, chapters, notes, bibliography, index."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from .layout import Mark, Recorder, plain, style, tagged
from .source import BOOK_TITLE, NUMBER_WORDS, Chapter, Source

# --- the book -----------------------------------------------------------------------------------------

BOOK_SIZE = (6 * inch, 9 * inch)
LONG_BOOK_SIZE = (5 * inch, 8 * inch)  # a smaller trim and type for the whole text: about 350 pages
DEDICATION = "For the members of every assembly who read the papers before the meeting."
BIBLIOGRAPHY = [
    "Bagehot, Walter. <i>The English Constitution</i>. London: Chapman and Hall, 1867.",
    "Hare, Thomas. <i>A Treatise on the Election of Representatives, Parliamentary and Municipal</i>. "
    "London: Longman, 1859.",
    "Lorimer, James. <i>Political Progress Not Necessarily Democratic</i>. London: Williams and "
    "Norgate, 1857.",
    "Mill, John Stuart. <i>On Liberty</i>. London: John W. Parker and Son, 1859.",
    "Mill, John Stuart. <i>Thoughts on Parliamentary Reform</i>. 2nd ed. London: Parker, 1859.",
    "Tocqueville, Alexis de. <i>Democracy in America</i>. Translated by Henry Reeve. London: Saunders and "
    "Otley, 1835.",
]


def _book_page(canvas: Canvas, doc: Any) -> None:
    canvas.saveState()
    width, height = doc.pagesize
    canvas.setFont("Times-Roman", 9)
    canvas.drawCentredString(width / 2, 0.45 * inch, str(doc.page))
    if doc.running and not getattr(doc, "opening", False):
        canvas.setFont("Times-Italic", 8.5)
        head = BOOK_TITLE if doc.page % 2 == 0 else doc.running
        canvas.drawCentredString(width / 2, height - 0.45 * inch, head)
    doc.opening = False
    canvas.restoreState()


def _book_story(
    source: Source, chapters: list[Chapter], pages: dict[str, int], index_lines: list[str]
) -> list[Any]:
    whole = chapters is source.chapters  # the long book: larger type on a smaller page, 350 pages
    body_size, leading = (11, 14.4) if whole else (10.5, 13.5)
    body = style("body", fontSize=body_size, leading=leading, firstLineIndent=14)
    head = style("head", fontName="Times-Bold", fontSize=15, leading=19, alignment=TA_CENTER, spaceAfter=18)
    label = style("label", fontSize=11, leading=14, alignment=TA_CENTER, spaceBefore=40, spaceAfter=6)
    center = style("center", alignment=TA_CENTER)
    story: list[Any] = [
        NextPageTemplate("plain"),
        Spacer(1, 1.6 * inch),
        Paragraph(
            BOOK_TITLE.upper(),
            style("cover", fontName="Times-Bold", fontSize=22, leading=28, alignment=TA_CENTER),
        ),
        Spacer(1, 18),
        Paragraph("John Stuart Mill", style("author", fontSize=15, alignment=TA_CENTER)),
        Spacer(1, 2.2 * inch),
        Paragraph("Tutela Test Press", style("press", fontSize=11, alignment=TA_CENTER)),
        PageBreak(),
        Spacer(1, 4.5 * inch),
    ]
    for line in (
        "First published 1861 by Parker, Son, and Bourn, London.",
        "This edition © 2024 Tutela Test Press. The text of the work is in the public domain; the notes "
        "apparatus, bibliography and index of this edition are the publisher's. All rights reserved.",
        "ISBN 978-0-00-000000-0",
        "Printed on acid-free paper.",
    ):
        story.append(Paragraph(line, style("copyright", fontSize=8.5, leading=11, spaceAfter=4)))
    story += [PageBreak(), Spacer(1, 2 * inch), Paragraph(f"<i>{DEDICATION}</i>", center), PageBreak()]
    story.append(Paragraph("Contents", head))
    entries = [("Preface", "Preface")] + [
        (f"Chapter {NUMBER_WORDS[i].title()}: {c.title}", c.numeral) for i, c in enumerate(chapters)
    ]
    entries += [("Notes", "Notes"), ("Bibliography", "Bibliography"), ("Index", "Index")]
    for text, key in entries:
        story.append(
            Paragraph(
                f"{escape(text)} . . . . . {pages.get(key, 0)}",
                style("toc", fontSize=10, leading=13, leftIndent=12, firstLineIndent=-12, alignment=0),
            )
        )
    story += [NextPageTemplate("body"), PageBreak()]
    story += [Mark("running", "Preface"), Mark("opening", True), tagged("Preface", head, "Preface")]
    story += [Paragraph(p, body) for p in source.preface]
    for i, chapter in enumerate(chapters):
        story += [PageBreak(), Mark("running", chapter.title), Mark("opening", True)]
        story.append(tagged(f"CHAPTER {NUMBER_WORDS[i]}", label, chapter.numeral))
        story.append(Paragraph(escape(chapter.title), head))
        story += [tagged(p, body, ("text", plain(p))) for p in chapter.paragraphs]
    story += [PageBreak(), Mark("running", "Notes"), Mark("opening", True), tagged("Notes", head, "Notes")]
    for i, chapter in enumerate(chapters):
        numbers = [int(n) for p in chapter.paragraphs for n in re.findall(r"<super>(\d+)</super>", p)]
        if numbers:
            story.append(
                Paragraph(
                    f"Chapter {NUMBER_WORDS[i].title()}",
                    style("notes-head", fontName="Times-Bold", spaceBefore=8),
                )
            )
            story += [
                Paragraph(f"{n}. {source.footnotes[n]}", style("note", fontSize=9, leading=11.5))
                for n in numbers
            ]
    story += [PageBreak(), Mark("running", "Bibliography"), Mark("opening", True)]
    story.append(tagged("Bibliography", head, "Bibliography"))
    story += [
        Paragraph(b, style("bib", fontSize=9.5, leading=12, leftIndent=14, firstLineIndent=-14, spaceAfter=3))
        for b in BIBLIOGRAPHY
    ]
    story += [NextPageTemplate("index"), PageBreak(), Mark("running", "Index"), Mark("opening", True)]
    story.append(tagged("Index", head, "Index"))
    story += [
        Paragraph(
            line, style("index", fontSize=8.5, leading=10.5, leftIndent=10, firstLineIndent=-10, alignment=0)
        )
        for line in index_lines
    ]
    story += [NextPageTemplate("body"), PageBreak(), Mark("running", "")]
    story.append(Paragraph("About the Editor", head))
    story.append(
        Paragraph(
            "Eleanor Marsh taught political thought at a college in the north of England for thirty years. "
            "She has edited several nineteenth-century texts for readers new to them, and lives in York.",
            body,
        )
    )
    return story


def _index(landed: list[tuple[int, Any]]) -> list[str]:
    """A back-of-book index: words that recur on a few pages, with the pages they are on."""
    pages_of: dict[str, set[int]] = {}
    counts: Counter[str] = Counter()
    for page, tag in landed:
        if isinstance(tag, tuple) and tag[0] == "text":
            for word in re.findall(r"\b[a-z]{8,}\b", tag[1]):
                pages_of.setdefault(word, set()).add(page)
                counts[word] += 1
    terms = sorted(w for w, pages in pages_of.items() if 3 <= len(pages) <= 12)[::3]
    return [f"{term}, {', '.join(str(p) for p in sorted(pages_of[term])[:6])}" for term in terms]


def build_book(
    source: Source, out: Path, chapters: list[Chapter], size: tuple[float, float] = BOOK_SIZE
) -> int:
    margin = 0.7 * inch
    width, height = size
    column = (width - 2 * margin - 12) / 2
    pages: dict[str, int] = {}
    index_lines = ["aristocracy, 000"] * 40
    for _ in range(2):  # the second pass fills in the contents' page numbers and the index
        doc = Recorder(str(out), pagesize=size, title=BOOK_TITLE, author="John Stuart Mill", invariant=True)
        full = Frame(margin, margin, width - 2 * margin, height - 2 * margin, id="full")
        doc.addPageTemplates(
            [
                PageTemplate("plain", [full]),
                PageTemplate("body", [full], onPageEnd=_book_page),
                PageTemplate(
                    "index",
                    [
                        Frame(margin, margin, column, height - 2 * margin, id="left"),
                        Frame(margin + column + 12, margin, column, height - 2 * margin, id="right"),
                    ],
                    onPageEnd=_book_page,
                ),
            ]
        )
        doc.build(_book_story(source, chapters, pages, index_lines))
        pages = {tag: page for page, tag in doc.landed if isinstance(tag, str)}
        index_lines = _index(doc.landed)
    return int(doc.page)


def short_chapters(source: Source) -> list[Chapter]:
    """Three chapters cut to a few pages each, keeping every paragraph with a note marker."""
    chosen = [c for c in source.chapters if c.numeral in {"I", "III", "IV"}]
    return [
        Chapter(c.numeral, c.title, [p for i, p in enumerate(c.paragraphs) if i < 7 or "<super>" in p])
        for c in chosen
    ]
