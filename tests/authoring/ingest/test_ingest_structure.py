"""What ingest makes of typeset documents without bookmarks: numbered headings, chapter labels, running
heads and footers, footnote markers and footnotes (tests/fixtures/pdf/made, by scripts/make_test_pdfs.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutela.authoring.ingest import ExtractedDocument, IngestLimits, extract_pdf
from tutela.authoring.ingest.blocks import Block
from tutela.authoring.ingest.headings import chapter_label, infer_heading_levels, numbering_depth
from tutela.authoring.ingest.lines import Line
from tutela.authoring.ingest.notes import strip_note_markers
from tutela.authoring.ingest.paragraphs import drop_running_lines

MADE = Path(__file__).resolve().parents[2] / "fixtures" / "pdf" / "made"
LIMITS = IngestLimits(timeout_seconds=30)


@pytest.fixture(scope="module")
def paper() -> ExtractedDocument:
    return extract_pdf((MADE / "journal-paper.pdf").read_bytes(), limits=LIMITS)


@pytest.fixture(scope="module")
def book() -> ExtractedDocument:
    return extract_pdf((MADE / "book.pdf").read_bytes(), limits=LIMITS)


def _all_text(document: ExtractedDocument) -> str:
    return "\n".join(page.text for page in document.pages)


def test_paper_headings_come_from_typography_and_numbering(paper: ExtractedDocument) -> None:
    assert paper.headings_source == "fonts"
    levels = {heading.title: heading.level for heading in paper.headings}
    for title in ("1 Introduction", "2 Background", "3 Method", "6 Conclusion", "References"):
        assert title in levels
    assert levels["2.1 Forms of government as a matter of choice"] > levels["2 Background"]
    assert levels["4.2 Infirmities and dangers"] > levels["4 Results"]
    # The metadata title names the saved web page; the printed title is the document's.
    assert paper.title == "Deliberation and Representation: Reading Mill on Local Assemblies"


def test_paper_loses_running_heads_footers_and_page_numbers(paper: ExtractedDocument) -> None:
    text = _all_text(paper)
    assert "deliberation-and-representation.html" not in text
    assert "12/03/2024" not in text
    assert not re.search(r"^\d+/9$", text, re.MULTILINE)
    # The running head repeats the title's first half; only the title block on page 1 keeps it.
    assert text.count("Deliberation and Representation") == 1


def test_paper_footnotes_and_their_markers_are_not_body_text(paper: ExtractedDocument) -> None:
    text = _all_text(paper)
    assert "exclusive theory. But the principles" in text  # the marker "2" glued to "theory." is gone
    assert not re.search(r"[a-z][.,;]\d", text)
    for note in ("survey instrument", "pagination of the 1861", "review essay by Hartley"):
        assert note not in text
    # Numeric citations go; the reference list keeps its numbers.
    assert "evolved it." in text and "evolved it [3]" not in text
    assert "[1] J. S. Mill." in text


def test_book_chapter_labels_join_their_titles(book: ExtractedDocument) -> None:
    titles = [heading.title for heading in book.headings]
    assert "CHAPTER ONE: To What Extent Forms of Government are a Matter of Choice" in titles
    assert "CHAPTER THREE: Under what Social Conditions Representative Government is Inapplicable" in titles
    chapters = [h for h in book.headings if h.title.startswith("CHAPTER")]
    assert len({h.level for h in chapters}) == 1
    # The title printed under the label is part of the heading, not a paragraph.
    assert all(not p.text.startswith("To What Extent Forms") for p in book.paragraphs)


def test_book_loses_running_heads_and_page_numbers(book: ExtractedDocument) -> None:
    for page in book.pages[5:20]:
        lines = [line for line in page.text.split("\n") if line.strip()]
        assert not re.fullmatch(r"\d+", lines[0]) and not re.fullmatch(r"\d+", lines[-1])
        assert not lines[0].startswith("Considerations on Representative Government")
    markers = re.findall(r"[a-z]{3}[.,;:]?\d+\b", _all_text(book)[: _all_text(book).find("\nNotes\n")])
    assert markers == []


@pytest.mark.parametrize(
    ("text", "depth", "label"),
    [
        ("CHAPTER THREE", 1, "CHAPTER THREE"),
        ("Chapter 3: Methods", 1, None),
        ("2.1 Method", 2, None),
        ("3.2.1. Sampling", 3, None),
        ("III. Results", 1, None),
        ("Article 5", 2, "Article 5"),
        ("Part II", 0, "Part II"),
        ("§ 12", 2, "§ 12"),
        ("Abstract", None, None),
        ("Part civil", None, None),
        ("2020 was a good year", None, None),
    ],
)
def test_heading_numbering(text: str, depth: int | None, label: str | None) -> None:
    assert numbering_depth(text) == depth
    assert chapter_label(text) == label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The work is copyrighted.4 The author", "The work is copyrighted. The author"),
        ("as Mill argued,12 the vote", "as Mill argued, the vote"),
        ("a theory¹ of government", "a theory of government"),
        ("as shown before [12].", "as shown before."),
        ("as shown [3, 7] and [4–6] here", "as shown and here"),
        ("[1] Mill, J. S. Considerations.", "[1] Mill, J. S. Considerations."),
        ("see pp.12 and Fig.3 for x² + y²", "see pp.12 and Fig.3 for x² + y²"),
        ("version 2.4 of the code", "version 2.4 of the code"),
    ],
)
def test_plain_text_note_markers(text: str, expected: str) -> None:
    assert strip_note_markers(text) == expected


def _line(text: str, size: float, top: float) -> Line:
    return Line(text=text, size=size, bold=False, left=72.0, right=300.0, top=top, bottom=top - size)


def test_a_heading_at_the_top_of_a_page_survives_running_heads_that_repeat_it() -> None:
    body = [_line("Running text of the page, set at the body size of the book.", 10.0, 600.0)]
    first = [_line("Notes", 15.0, 760.0), *body]
    later = [[_line("Notes", 8.5, 770.0), *body] for _ in range(4)]
    kept = drop_running_lines([first, *later], [792.0] * 5)
    assert [line.text for line in kept[0]] == ["Notes", body[0].text]
    assert all([line.text for line in page] == [body[0].text] for page in kept[1:])


def test_a_short_chapters_running_head_goes_when_it_repeats_a_heading() -> None:
    title = "To What Extent Forms of Government are a Matter of Choice"
    body = [_line("Running text of the page, set at the body size of the book.", 10.0, 600.0)]
    opening = [_line(title[:40], 15.0, 700.0), _line(title[40:].strip(), 15.0, 682.0), *body]
    next_page = [_line(title, 8.5, 770.0), *body]
    kept = drop_running_lines([opening, next_page, body, body, body], [792.0] * 5)
    assert [line.text for line in kept[1]] == [body[0].text]
    assert len(kept[0]) == 3


def _block(text: str, size: float = 10.0, *, lines: int = 1) -> Block:
    return Block(page=1, lines=[_line(text, size, 700.0 - 14 * i) for i in range(lines)], text=text)


def test_numbered_headings_at_the_body_size() -> None:
    prose = "Running text of the page, set at the body size of the book, long enough to be a paragraph."
    blocks = [
        _block("2 Method", 12.0),
        _block(prose, lines=4),
        _block("2.1 Design of the study"),
        _block(prose, lines=4),
        _block("III. RESULTS"),
        _block(prose, lines=4),
        _block("1. Preheat the oven"),
        _block("II. The court held"),
        _block(prose, lines=4),
    ]
    levels = infer_heading_levels(blocks)
    assert set(levels) == {0, 2, 4}
    assert levels[0] < levels[2]


def test_a_heading_in_capitals_is_never_glued_to_the_sentence_under_it() -> None:
    from tests.authoring.ingest.conftest import build_text_pdf

    lines = [
        "THE ABSTRACT NATURE OF MATHEMATICS",
        "The study of mathematics is apt to commence in disappointment, because the",
        "important applications of the science are not explained to the beginner.",
    ]
    document = extract_pdf(build_text_pdf(lines), limits=LIMITS)
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert texts[0] == "THE ABSTRACT NATURE OF MATHEMATICS"
    assert texts[1].startswith("The study of mathematics")


def test_a_short_document_with_a_paragraph_under_each_heading_keeps_its_headings() -> None:
    prose = "Running text of the page, set at the body size of the book, long enough to be a paragraph."
    blocks = [_block("Storing chemicals", 17.0)]
    for title in ("Where chemicals are kept", "Storage codes", "Protective equipment", "Spills"):
        blocks += [_block(title, 12.0), _block(prose, lines=3)]
    assert len(infer_heading_levels(blocks)) == 5  # half the blocks, a small share of the text


def test_a_one_page_letter_takes_its_large_first_line_as_title_not_its_dateline() -> None:
    document = extract_pdf((MADE.parent / "real" / "crazyones-pdfa.pdf").read_bytes(), limits=LIMITS)
    assert document.title == "The Crazy Ones"
    assert [heading.title for heading in document.headings] == ["The Crazy Ones"]
