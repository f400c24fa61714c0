"""Pages per second of extract_pdf on each real corpus PDF, against plain pypdfium2 text extraction.

Run: .venv/bin/python benchmarks/bench_ingest.py [--repeat N]
The baseline is get_text_range over every page in this process; extract_pdf includes its child process,
layout analysis and language detection, so the ratio is what isolation and structure cost.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped]

from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf

REAL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pdf" / "real"


def plain_text_seconds(data: bytes) -> tuple[float, int]:
    """Seconds to get every page's text with bare pypdfium2, and the page count."""
    started = time.perf_counter()
    pdf = pdfium.PdfDocument(data)
    pages = len(pdf)
    for index in range(pages):
        page = pdf[index]
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    pdf.close()
    return time.perf_counter() - started, pages


def ingest_seconds(data: bytes) -> float:
    """Seconds for one extract_pdf call."""
    started = time.perf_counter()
    extract_pdf(data, limits=IngestLimits())
    return time.perf_counter() - started


def main() -> None:
    """Print one row per real PDF and a total."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    extract_pdf((REAL / "habibi.pdf").read_bytes(), limits=IngestLimits())  # loads the language model once
    print(f"{'file':40} {'pages':>5} {'plain p/s':>10} {'ingest p/s':>10} {'ratio':>7}")
    total_plain = total_ingest = 0.0
    total_pages = 0
    for path in sorted(REAL.glob("*.pdf")):
        data = path.read_bytes()
        try:
            ingest = statistics.median(ingest_seconds(data) for _ in range(args.repeat))
        except IngestError as error:
            print(f"{path.name:40} refused: {type(error).__name__}")
            continue
        plain, pages = min(plain_text_seconds(data) for _ in range(args.repeat))
        total_plain += plain
        total_ingest += ingest
        total_pages += pages
        print(
            f"{path.name:40} {pages:5d} {pages / plain:10.0f} {pages / ingest:10.1f} {ingest / plain:6.0f}x"
        )
    print(
        f"{'total':40} {total_pages:5d} {total_pages / total_plain:10.0f} {total_pages / total_ingest:10.1f}"
        f" {total_ingest / total_plain:6.0f}x"
    )


if __name__ == "__main__":
    main()
