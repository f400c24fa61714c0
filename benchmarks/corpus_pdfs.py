"""The benchmark corpus as PDF files: the project's real PDFs, the corpus's PDFs, and its texts rendered.

    python benchmarks/corpus_pdfs.py        (renders what is not cached yet and lists every document)

Texts (benchmarks/corpus/*.txt.gz) are rendered by render_pdf.py into benchmarks/.rendered/ (gitignored),
keyed by the text's hash and the renderer's version, so a second run reads the cached file.
Sources and licences: benchmarks/corpus/SOURCES.md.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.render_pdf import RENDERER_VERSION, parse, render  # noqa: E402 (needs the root on the path)

REAL_PDFS = ROOT / "tests/fixtures/pdf/real"
CORPUS = ROOT / "benchmarks/corpus"
RENDERED = ROOT / "benchmarks/.rendered"


@dataclass(frozen=True)
class CorpusDocument:
    """One document of the corpus, ready to upload as a PDF."""

    name: str
    pdf: Path
    origin: str  # "real" (a PDF as published) or "rendered" (a corpus text typeset by render_pdf.py)
    language: str


def rendered_pdf(text: Path) -> Path:
    """The PDF of a corpus text, rendered once and then read from the cache."""
    data = text.read_bytes()
    key = hashlib.sha256(data + RENDERER_VERSION.encode()).hexdigest()[:16]
    out = RENDERED / f"{text.name.removesuffix('.txt.gz')}-{key}.pdf"
    if not out.exists():
        RENDERED.mkdir(exist_ok=True)
        partial = out.with_suffix(".partial")
        render(parse(gzip.decompress(data).decode("utf-8")), partial)
        partial.replace(out)
    return out


def _language(name: str) -> str:
    parts = name.split(".")
    return parts[-1] if len(parts) > 1 and len(parts[-1]) == 2 else "en"


def corpus_documents() -> list[CorpusDocument]:
    """Every document of the corpus, real PDFs first, in a stable order."""
    documents = [CorpusDocument(p.stem, p, "real", "?") for p in sorted(REAL_PDFS.glob("*.pdf"))]
    documents += [CorpusDocument(p.stem, p, "real", "en") for p in sorted(CORPUS.glob("*.pdf"))]
    for text in sorted(CORPUS.glob("*.txt.gz")):
        name = text.name.removesuffix(".txt.gz")
        documents.append(CorpusDocument(name, rendered_pdf(text), "rendered", _language(name)))
    return documents


def main() -> None:
    import pypdfium2

    for document in corpus_documents():
        pages = len(pypdfium2.PdfDocument(document.pdf)) if "password" not in document.name else "-"
        size = document.pdf.stat().st_size // 1024
        print(f"{document.name:44} {document.origin:8} {document.language:3} {pages!s:>5} pages {size:6} KiB")


if __name__ == "__main__":
    main()
