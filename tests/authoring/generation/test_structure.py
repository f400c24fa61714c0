"""Planning lessons from a document's structure: every page of body text lands in a lesson, front and back
matter never do, and what is set aside is named with its pages."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tutela.authoring.generation import structure
from tutela.authoring.generation.pipeline import SECTION_CHARS
from tutela.authoring.ingest import ExtractedDocument, IngestLimits, extract_pdf

PDFS = Path(__file__).resolve().parents[2] / "fixtures" / "pdf"
LIMITS = IngestLimits(timeout_seconds=30)
DOCUMENTS = [
    "made/journal-paper.pdf",
    "made/book.pdf",
    "made/injection.pdf",
    "real/tracemonkey.pdf",
    "real/GeoTopo-komprimiert.pdf",
    "real/multicolumn.pdf",
    "real/pdflatex-4-pages.pdf",
    "real/pdflatex-outline.pdf",
    "real/google-doc-document.pdf",
    "real/002-trivial-libre-office-writer.pdf",
    "real/crazyones-pdfa.pdf",
    "real/habibi.pdf",
]


@cache
def _document(name: str) -> ExtractedDocument:
    return extract_pdf((PDFS / name).read_bytes(), limits=LIMITS)


def _plan(name: str) -> structure.Plan:
    return structure.plan_document(_document(name), max_chars=SECTION_CHARS)


def _source_text(plan: structure.Plan) -> str:
    return "\n".join(p.text for c in plan.chapters for s in c.sections for p in s.passages)


def _pages(plan: structure.Plan) -> set[int]:
    return {p.page for c in plan.chapters for s in c.sections for p in s.passages}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_page_of_body_text_lands_in_a_lesson_or_is_named(name: str) -> None:
    document = _document(name)
    plan = _plan(name)
    assert plan.chapters
    assert structure.unplaced_body_pages(document, plan) == []
    for chapter in plan.chapters:
        for section in chapter.sections:
            for passage in section.passages:
                assert passage.text in document.pages[passage.page - 1].text


def test_the_check_names_a_dropped_page() -> None:
    plan = _plan("made/journal-paper.pdf")
    without_method = structure.Plan([c for c in plan.chapters if c.title != "3 Method"], plan.set_aside)
    # Page 3 also holds the end of section 2; page 4 holds only sections 3 and 4.
    assert structure.unplaced_body_pages(_document("made/journal-paper.pdf"), without_method) == []
    without_results = structure.Plan(
        [c for c in plan.chapters if c.title not in {"3 Method", "4 Results"}], plan.set_aside
    )
    assert structure.unplaced_body_pages(_document("made/journal-paper.pdf"), without_results) == [4, 5]


def test_journal_paper_without_bookmarks() -> None:
    plan = _plan("made/journal-paper.pdf")
    titles = [c.title for c in plan.chapters]
    assert titles[1:] == [
        "1 Introduction",
        "2 Background",
        "3 Method",
        "4 Results",
        "5 Discussion",
        "6 Conclusion",
    ]
    assert _pages(plan) == set(range(1, 9))
    kinds = {part.kind: (part.first_page, part.last_page) for part in plan.set_aside}
    assert kinds["back matter: editorial board"] == (9, 9)
    assert "back matter: references" in kinds and "back matter: acknowledgements" in kinds
    text = _source_text(plan)
    never = ("Keywords:", "University of Coimbra", "Editor-in-Chief", "London: Longman", "is a lecturer")
    assert [n for n in never if n in text] == []
    assert "The form of government for any given country" in text  # the page 2 that used to be lost


def test_book_with_front_and_back_matter() -> None:
    plan = _plan("made/book.pdf")
    titles = [c.title for c in plan.chapters]
    assert titles[0] == "Preface"
    assert [t.split(":")[0] for t in titles[1:] if t] == ["CHAPTER ONE", "CHAPTER TWO", "CHAPTER THREE"]
    kinds = {part.kind for part in plan.set_aside}
    assert {"front matter: copyright page", "front matter: contents", "back matter: notes"} <= kinds
    assert {"back matter: bibliography", "back matter: index"} <= kinds
    assert min(_pages(plan)) == 5 and max(_pages(plan)) == 20
    text = _source_text(plan)
    # Endnote text (Mill's note 1) and the dedication are no lesson's source; the text the note is on is.
    assert "I limit the expression to past time" not in text
    assert "For the members of every assembly" not in text
    assert "stop to their successes. With the French" in text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("aristocracy, 12, 45, 101\nassembly, 3, 17\nballot, 22–24, 90\nborough, 41\ncommittee, 5", "index"),
        (
            "Preface . . . . . 5\nChapter One . . . . . 7\nChapter Two . . . . 19\nNotes . . . . 88",
            "contents",
        ),
        (
            "Bagehot, W. (1867). The English Constitution. London.\n\nHare, T. (1859). A Treatise.\n\n"
            "Lorimer, J. (1857). Political Progress. London.\n\nMill, J. S. (1859). On Liberty.\n\n"
            "Mill, J. S. (1861). Considerations. London.",
            "references",
        ),
        (
            "Editor-in-Chief Margaret Ellison, University of Leeds Associate Editors Tomás Ferreira, "
            "University of Coimbra Hanna Lindqvist, Uppsala University David Okafor, University of Lagos",
            "editorial board",
        ),
        (
            "This edition © 2024 Test Press. All rights reserved. ISBN 978-0-00-000000-0. Printed in Spain.",
            "copyright page",
        ),
        (
            "In 1848 the revolutions spread. By 1849 most had failed; in 1851 Louis Napoleon took power and "
            "in 1852 became emperor. The years 1853 to 1856 saw the Crimean War, and 1859 the war in Italy.",
            None,
        ),
        (
            "All speculations concerning forms of government bear the impress, more or less exclusive, of "
            "two conflicting theories respecting political institutions in 1861 and 1862.",
            None,
        ),
    ],
)
def test_page_kind(text: str, kind: str | None) -> None:
    assert structure.page_kind(text) == kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("References", "references"),
        ("7 Bibliography", "bibliography"),
        ("Notes on contributors", "notes on contributors"),
        ("Table of Contents", "table of contents"),
        ("Stichwortverzeichnis", "stichwortverzeichnis"),
        ("Notes on Method", None),
        ("1 Introduction", None),
        ("Indexing large tables", None),
        ("Back Matter.", "back matter"),
        ("PG License.", "pg license"),
        ("Transcriber's Note.", "transcriber's note"),
        ("Main Matter.", None),
        ("Licensing in practice", None),
    ],
)
def test_title_kind(title: str, kind: str | None) -> None:
    assert structure.title_kind(title) == kind
