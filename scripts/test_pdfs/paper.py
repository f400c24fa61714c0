"""The journal paper: printed from a browser, numbered sections, footnotes, references, editorial board."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from .layout import Recorder, style, tagged
from .source import Source

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
