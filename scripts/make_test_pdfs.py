"""Build the PDFs with real typography that the document-structure tests and bench_generate read.

    python scripts/make_test_pdfs.py              # tests/fixtures/pdf/made/journal-paper.pdf and book.pdf
    python scripts/make_test_pdfs.py --long OUT   # the whole book (about 350 pages), for benchmarks

Needs reportlab (in the dev extra). The running text is J. S. Mill, "Considerations on Representative
Government" (1861), in the public domain: benchmarks/corpus/mill-representative-government.txt, taken from
the Project Gutenberg plain text (eBook #5669) with its licence header and footer removed. Everything around
it was written for these files: the paper's title block, abstract, keyword line, section titles, footnotes,
references, notes on contributors and editorial board; the book's title page, copyright page, dedication,
contents, chapter openings, running headers, notes, bibliography, index and note on the editor.

- journal-paper.pdf: a 10-page article printed from a web browser, without bookmarks: the date and title
  at the top of each page, the article's URL (an .html file) and "n/N" at the bottom; numbered sections
  ("2.1 Forms of government"), superscript footnote markers with their notes at the page foot, bracketed
  citations ("[3]"), references, notes on contributors and an editorial-board page.
- book.pdf: a short book without bookmarks: title page, copyright page, dedication, contents, preface,
  chapters opening with "CHAPTER ONE" over the title, running headers (book title on the left page,
  chapter title on the right) and page numbers, superscript note markers, notes, bibliography, a
  two-column index and a note on the editor.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "benchmarks/corpus/mill-representative-government.txt"
MADE = ROOT / "tests/fixtures/pdf/made"
BOOK_TITLE = "Considerations on Representative Government"
NUMBER_WORDS = [
    *("ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN", "ELEVEN", "TWELVE"),
    *("THIRTEEN", "FOURTEEN", "FIFTEEN", "SIXTEEN", "SEVENTEEN", "EIGHTEEN"),
]


# --- the source text ----------------------------------------------------------------------------------


@dataclass
class Chapter:
    numeral: str
    title: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Source:
    preface: list[str]
    chapters: list[Chapter]
    footnotes: dict[int, str]


def _markup(text: str) -> str:
    """Plain Gutenberg text to reportlab markup: italics, note markers as superscripts, dashes."""
    text = escape(" ".join(text.split()))
    text = re.sub(r"_([^_]+)_", r"<i>\1</i>", text).replace("--", "\u2014")
    return re.sub(r"\s*\[(\d+)\]", r"<super>\1</super>", text)


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    for chunk in re.split(r"\n\s*\n", "\n".join(lines)):
        text = chunk.strip()
        if not text or text == "The End":
            continue
        if re.fullmatch(r"\[\d+\]", text) and paragraphs:
            paragraphs[-1] += " " + text  # a marker the plain text put on a line of its own
        else:
            paragraphs.append(text)
    return [_markup(p) for p in paragraphs]


def read_source() -> Source:
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    preface_at = lines.index("Preface")
    contents_at = lines.index("LIST OF CONTENTS")
    notes_at = lines.index("Footnotes:")
    chapters: list[Chapter] = []
    body: list[str] = []
    for line in lines[contents_at:notes_at]:
        found = re.match(r"^Chapter ([IVXL]+)--(.*?)\.?$", line)
        if found:
            if chapters:
                chapters[-1].paragraphs = _paragraphs(body)
            chapters.append(Chapter(found[1], found[2].strip()))
            body = []
        elif chapters:
            body.append(line)
    chapters[-1].paragraphs = _paragraphs(body)
    notes = "\n".join(lines[notes_at + 1 :])
    footnotes = {
        int(m[1]): _markup(m[2])
        for m in re.finditer(r"\[Footnote (\d+): (.*?)\]\s*(?=\n\[Footnote|\Z)", notes, re.S)
    }
    return Source(_paragraphs(lines[preface_at + 1 : contents_at]), chapters, footnotes)


# --- shared layout ------------------------------------------------------------------------------------


def style(name: str, **kwargs: Any) -> ParagraphStyle:
    base = {"fontName": "Times-Roman", "fontSize": 10.5, "leading": 13.5, "alignment": TA_JUSTIFY}
    return ParagraphStyle(name, **{**base, **kwargs})


class Mark(Flowable):  # type: ignore[misc]
    """A zero-size flowable that sets a value on the document when it is laid out (running heads)."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__()
        self.key, self.value = key, value

    def wrap(self, *_: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        setattr(self.canv._doctemplate, self.key, self.value)


class Recorder(BaseDocTemplate):  # type: ignore[misc]
    """A document that remembers on which page each marked flowable landed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.landed: list[tuple[int, Any]] = []
        self.running = ""

    def afterFlowable(self, flowable: Any) -> None:
        for item in [flowable, *getattr(flowable, "_content", [])]:
            tag = getattr(item, "tag", None)
            if tag is not None:
                self.landed.append((self.page, tag))


def tagged(text: str, paragraph_style: ParagraphStyle, tag: Any) -> Paragraph:
    paragraph = Paragraph(text, paragraph_style)
    paragraph.tag = tag
    return paragraph


def plain(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


# --- the journal paper --------------------------------------------------------------------------------

PAPER_TITLE = "Deliberation and Representation: Reading Mill on Local Assemblies"
PAPER_URL = "https://jcl.example.org/article/view/4412/deliberation-and-representation.html"
PAPER_PRINTED = "12/03/2024, 10:41"
PAPER_SECTIONS: list[tuple[str, str, list[int]]] = [
    # (heading, source chapter numeral, indices of the paragraphs used)
    ("1 Introduction", "I", [0, 1, 2]),
    ("2 Background", "II", [0, 1]),
    ("2.1 Forms of government as a matter of choice", "I", [3, 4, 5]),
    ("2.2 The criterion of a good government", "II", [2, 3, 4]),
    ("3 Method", "V", [0, 1, 2]),
    ("4 Results", "VI", [0, 1]),
    ("4.1 The functions of representative bodies", "V", [3, 4, 5]),
    ("4.2 Infirmities and dangers", "VI", [2, 3, 4]),
    ("5 Discussion", "XV", [0, 1, 2, 3]),
    ("6 Conclusion", "XV", [4, 5]),
]
PAPER_FOOTNOTES = [
    "The survey instrument and the coding manual are reproduced in the supplementary material.",
    "We follow the pagination of the 1861 first edition throughout, not the later reprints.",
    "Two assemblies declined to take part; their minutes were not consulted for this study.",
    "The same pattern holds when the smallest parishes are left out of the sample.",
    "On the earlier debate see the review essay by Hartley in the previous volume of this journal.",
]
PAPER_REFERENCES = [
    "[1] J. S. Mill. <i>Considerations on Representative Government</i>. London: Parker, Son, and "
    "Bourn, 1861.",
    "[2] J. S. Mill. <i>On Liberty</i>. London: John W. Parker and Son, 1859.",
    "[3] T. Hare. <i>A Treatise on the Election of Representatives, Parliamentary and Municipal</i>. "
    "London: Longman, 1859.",
    "[4] W. Bagehot. <i>The English Constitution</i>. London: Chapman and Hall, 1867.",
    "[5] A. de Tocqueville. <i>Democracy in America</i>. Trans. H. Reeve. London: Saunders and Otley, 1835.",
    "[6] J. Lorimer. <i>Political Progress Not Necessarily Democratic</i>. London: Williams and "
    "Norgate, 1857.",
]
EDITORIAL_BOARD = [
    ("Editor-in-Chief", ["Margaret Ellison, University of Leeds, United Kingdom"]),
    (
        "Associate Editors",
        [
            "Tomás Ferreira, University of Coimbra, Portugal",
            "Hanna Lindqvist, Uppsala University, Sweden",
            "David Okafor, University of Lagos, Nigeria",
            "Priya Raman, Ashoka University, India",
        ],
    ),
    (
        "Editorial Board",
        [
            "Claire Dubois, Sciences Po, France",
            "Martin Keller, University of Zurich, Switzerland",
            "Akiko Sato, Kyoto University, Japan",
            "Robert Hughes, University of Toronto, Canada",
            "Elena Petrova, Central European University, Austria",
            "James Whitfield, Australian National University, Australia",
        ],
    ),
]


def _paper_page(total: list[int]) -> Callable[[Canvas, Any], None]:
    def decorate(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        width, height = LETTER
        canvas.drawString(0.4 * inch, height - 0.35 * inch, PAPER_PRINTED)
        canvas.drawCentredString(width / 2, height - 0.35 * inch, PAPER_TITLE.split(":")[0])
        canvas.drawString(0.4 * inch, 0.3 * inch, PAPER_URL)
        canvas.drawRightString(width - 0.4 * inch, 0.3 * inch, f"{doc.page}/{total[0]}")
        notes = [number for page, number in doc.landed if page == doc.page and isinstance(number, int)]
        if notes:
            canvas.line(inch, 1.45 * inch, 2.5 * inch, 1.45 * inch)
            y = 1.45 * inch
            for number in notes:
                note = Paragraph(
                    f"<super>{number}</super> {PAPER_FOOTNOTES[number - 1]}",
                    style("note", fontSize=8, leading=10),
                )
                _, h = note.wrap(LETTER[0] - 2 * inch, inch)
                y -= h + 2
                note.drawOn(canvas, inch, y)
        canvas.restoreState()

    return decorate


def _paper_story(source: Source) -> list[Any]:
    chapters = {c.numeral: c for c in source.chapters}
    body = style("body", fontSize=10, leading=13, firstLineIndent=12)
    heading = style("heading", fontName="Times-Bold", fontSize=12, leading=15, spaceBefore=10, spaceAfter=4)
    small = style("small", fontSize=9, leading=11.5)
    story: list[Any] = [
        Paragraph(
            PAPER_TITLE, style("title", fontName="Times-Bold", fontSize=17, leading=21, alignment=TA_CENTER)
        ),
        Spacer(1, 8),
        Paragraph(
            "Anna Whitcombe<super>a</super> and Samuel Okoro<super>b</super>",
            style("authors", fontSize=11, alignment=TA_CENTER),
        ),
        Paragraph(
            "<super>a</super>Department of Politics, University of York; <super>b</super>School of Law, "
            "University of Bristol",
            style("affiliation", fontName="Times-Italic", fontSize=9, alignment=TA_CENTER),
        ),
        Spacer(1, 10),
        Paragraph("Abstract", style("abstract-head", fontName="Times-Bold", fontSize=10)),
        Paragraph(
            "This article reads the argument of Considerations on Representative Government against the "
            "record of local assemblies. It asks what Mill expected of representative bodies, which dangers "
            "he thought most pressing, and how his account of local representation bears on the design of "
            "deliberative bodies today. We find that his distinction between controlling and conducting "
            "the business of government explains most of the variation we observe.",
            small,
        ),
        Spacer(1, 4),
        Paragraph(
            "<b>Keywords:</b> representation; deliberation; local government; suffrage; J. S. Mill", small
        ),
        Spacer(1, 6),
    ]
    note = 0
    for index, (title, numeral, picks) in enumerate(PAPER_SECTIONS):
        story.append(
            Paragraph(
                title,
                heading
                if "." not in title.split()[0]
                else style(
                    "subheading",
                    fontName="Times-Bold",
                    fontSize=10.5,
                    leading=13,
                    spaceBefore=6,
                    spaceAfter=3,
                ),
            )
        )
        for pick in picks:
            text = re.sub(r"<super>\d+</super>", "", chapters[numeral].paragraphs[pick])
            if pick == picks[0] and index % 2 == 0 and note < len(PAPER_FOOTNOTES):
                note += 1
                # A marker glued to the end of a sentence, as word processors set it.
                text = re.sub(r"\.(\s)", rf".<super>{note}</super>\1", text, count=1)
                story.append(KeepTogether([tagged(text, body, note)]))
                continue
            if pick == picks[-1]:
                text = re.sub(r"\.$", f" [{1 + (index + pick) % len(PAPER_REFERENCES)}].", text)
            story.append(Paragraph(text, body))
    story.append(Paragraph("Acknowledgements", heading))
    story.append(
        Paragraph(
            "We thank the clerks of the participating assemblies for access to their minutes, and two "
            "anonymous reviewers for their comments. The work was supported by a small research grant.",
            body,
        )
    )
    story.append(Paragraph("References", heading))
    for reference in PAPER_REFERENCES:
        story.append(
            Paragraph(
                reference, style("reference", fontSize=9, leading=11, leftIndent=14, firstLineIndent=-14)
            )
        )
    story.append(Paragraph("Notes on contributors", heading))
    story.append(
        Paragraph(
            "<b>Anna Whitcombe</b> is a lecturer in political theory at the University of York. Her research "
            "concerns the history of representative institutions. <b>Samuel Okoro</b> is a senior lecturer "
            "in public law at the University of Bristol, where he works on local government law.",
            small,
        )
    )
    story.append(PageBreak())
    story.append(
        Paragraph(
            "Journal of Civic Learning",
            style("journal", fontName="Times-Bold", fontSize=14, alignment=TA_CENTER),
        )
    )
    story.append(Spacer(1, 12))
    for role, names in EDITORIAL_BOARD:
        story.append(Paragraph(role, style("role", fontName="Times-Bold", fontSize=10.5, spaceBefore=8)))
        story.extend(Paragraph(name, style("name", fontSize=10, leading=12.5)) for name in names)
    return story


def build_paper(source: Source, out: Path) -> None:
    total = [0]
    for _ in range(2):  # the second pass knows the page count for "n/N"
        doc = Recorder(
            str(out), pagesize=LETTER, title="deliberation-and-representation.html", author="", invariant=True
        )
        frame = Frame(inch, 1.6 * inch, LETTER[0] - 2 * inch, LETTER[1] - 2.3 * inch, id="body")
        doc.addPageTemplates([PageTemplate("page", [frame], onPageEnd=_paper_page(total))])
        doc.build(_paper_story(source))
        total[0] = doc.page


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=Path, help="write the whole book to this path instead")
    args = parser.parse_args()
    source = read_source()
    if args.long:
        pages = build_book(source, args.long, source.chapters, LONG_BOOK_SIZE)
        print(f"{args.long}: {pages} pages")
        return
    build_paper(source, MADE / "journal-paper.pdf")
    pages = build_book(source, MADE / "book.pdf", short_chapters(source))
    print(f"{MADE / 'journal-paper.pdf'}, {MADE / 'book.pdf'} ({pages} pages)")


if __name__ == "__main__":
    main()
