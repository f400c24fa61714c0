"""Several documents as one source (generation/combined.py): pages end to end, a chapter per document,
citations back to each document's own page, and notes that name pages in their documents."""

from __future__ import annotations

from tutela.authoring.generation import structure
from tutela.authoring.generation.combined import Source, combine
from tutela.authoring.generation.pipeline import SECTION_CHARS
from tutela.authoring.generation.schemas import Citation, Module, ModuleChapter, ModuleLesson, Question
from tutela.authoring.ingest.document import ExtractedDocument, Heading, Page, Paragraph


def _document(title: str, pages: list[str], headings: list[Heading]) -> ExtractedDocument:
    return ExtractedDocument(
        title=title,
        language="en",
        page_count=len(pages),
        pages=[Page(number=i, text=t) for i, t in enumerate(pages, start=1)],
        paragraphs=[Paragraph(page=i, text=t) for i, t in enumerate(pages, start=1)],
        headings=headings,
        headings_source="bookmarks" if headings else "none",
    )


TRAVEL = _document(
    "Travel policy",
    [
        "Booking\n" + "Hotel rooms are booked through the travel desk a week ahead. " * 8,
        "Expenses\n" + "Travel expenses are reimbursed within thirty days of the receipts. " * 8,
    ],
    [
        Heading(level=1, title="Booking", page=1, paragraph_index=0),
        Heading(level=1, title="Expenses", page=2),
    ],
)
SAFETY = _document(
    "Fire safety",
    ["Fire doors stay closed at all times and are never blocked by furniture. " * 8],
    [],
)


def test_pages_follow_each_other_and_each_document_is_a_chapter() -> None:
    combined = combine([Source("a", "Travel policy", TRAVEL), Source("b", "Fire safety", SAFETY)])
    doc = combined.document
    assert [p.number for p in doc.pages] == [1, 2, 3] and doc.page_count == 3
    assert doc.pages[2].text == SAFETY.pages[0].text
    assert [(h.level, h.title, h.page) for h in doc.headings] == [
        (1, "Travel policy", 1),
        (2, "Booking", 1),
        (2, "Expenses", 2),
        (1, "Fire safety", 3),
    ]
    assert [(s.id, page) for s, page in combined.origins] == [("a", 1), ("a", 2), ("b", 1)]
    plan = structure.plan_document(doc, max_chars=SECTION_CHARS)
    firsts = [chapter.sections[0].first_page for chapter in plan.chapters]
    assert firsts == [1, 3]  # one chapter per document


def test_citations_name_their_document_and_page_and_go_back() -> None:
    combined = combine([Source("a", "Travel policy", TRAVEL), Source("b", "Fire safety", SAFETY)])
    quote = "Fire doors stay closed at all times"
    module = Module(
        title="Office basics",
        language="en",
        chapters=[
            ModuleChapter(
                title="Safety",
                lessons=[
                    ModuleLesson(
                        title="Doors", content="Keep them shut.", citations=[Citation(page=3, quote=quote)]
                    )
                ],
            )
        ],
        summary="",
        questions=[
            Question(
                type="true_false",
                stem="Fire doors may stay open.",
                options=["true", "false"],
                answer=["false"],
                explanation="They stay closed.",
                citation=Citation(page=2, quote="Travel expenses are reimbursed"),
            )
        ],
    )
    cited = combined.cite(module)
    lesson_citation = cited.chapters[0].lessons[0].citations[0]
    assert (lesson_citation.document_id, lesson_citation.document, lesson_citation.page) == (
        "b",
        "Fire safety",
        1,
    )
    assert lesson_citation.where == "\u201cFire safety\u201d, page 1"
    assert (cited.questions[0].citation.document_id, cited.questions[0].citation.page) == ("a", 2)
    assert combined.uncite(cited) == module


def test_notes_name_pages_in_their_documents() -> None:
    combined = combine([Source("a", "Travel policy", TRAVEL), Source("b", "Fire safety", SAFETY)])
    assert combined.name_pages("The lesson on pages 1-2 was left out") == (
        "The lesson on pages 1-2 of \u201cTravel policy\u201d was left out"
    )
    assert combined.name_pages("Set aside: page 3 (front matter)") == (
        "Set aside: page 1 of \u201cFire safety\u201d (front matter)"
    )
    assert combined.name_pages("the questions on pages 2-3") == (
        "the questions on page 2 of \u201cTravel policy\u201d to page 1 of \u201cFire safety\u201d"
    )
