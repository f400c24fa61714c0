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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_pdfs.book import LONG_BOOK_SIZE, build_book, short_chapters
from test_pdfs.paper import build_paper
from test_pdfs.source import ROOT, read_source

MADE = ROOT / "tests/fixtures/pdf/made"


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
