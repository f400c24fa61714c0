"""The corpus renderer typesets a text as a book: title page, contents, chapters, page numbers, notes."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
from benchmarks.render_pdf import parse, render

TEXT = """% title: A Small Manual
% author: A. Writer
% language: en
% rights: Public domain.

# Chapter 1. Getting started

## 1.1. Installing

The installer copies the files to the disk.[^1] It asks no questions.

    $ install --all

# Chapter 2. Daily use

Daily use needs no special care.

[^1]: On most systems, into /usr.
"""


def test_a_text_becomes_a_book_like_pdf(tmp_path: Path) -> None:
    book = parse(TEXT)
    assert book.meta["title"] == "A Small Manual"
    assert [kind for kind, _ in book.blocks] == ["h1", "h2", "p", "pre", "h1", "p"]
    assert book.notes == {"1": "On most systems, into /usr."}
    out = tmp_path / "book.pdf"
    render(book, out)
    pdf = pypdfium2.PdfDocument(out)
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert "A Small Manual" in pages[0] and "A. Writer" in pages[0]
    assert "Public domain." in pages[1]
    assert "Contents" in pages[2] and "Chapter 2. Daily use" in pages[2]
    chapter_one = next(i for i, text in enumerate(pages) if "It asks no questions" in text)
    assert "disk.1" in pages[chapter_one].replace("\r\n", " ")  # the marker is glued, as in print
    assert str(chapter_one + 1) in pages[chapter_one].split()  # the page number in the footer
    assert "Daily use needs no special care" in pages[chapter_one + 1]  # a chapter starts a new page
    assert "1. On most systems, into /usr." in pages[-1] and "Notes" in pages[-1]
