"""Every file of the PDF corpus either ingests or is refused with a domain error; none crashes or hangs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tutela.authoring.ingest import (
    BrokenPdf,
    ExtractedDocument,
    IngestError,
    IngestLimits,
    NoTextLayer,
    PdfPasswordRequired,
    extract_pdf,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pdf"
CORPUS = sorted(path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob("*/*.pdf"))
LIMITS = IngestLimits(timeout_seconds=30)

# What each refused file is refused for; every other file must ingest.
REFUSED: dict[str, type[IngestError]] = {
    "real/libreoffice-writer-password.pdf": PdfPasswordRequired,
    "odd/bug1980958.pdf": BrokenPdf,
    "odd/poppler-937-0-fuzzed.pdf": BrokenPdf,
    **{
        f"odd/{name}.pdf": NoTextLayer
        for name in (
            "bitmap-composite-and-xnor-text",
            "bitmap-symbol-symhuff-texthuff",
            "bitmap-symbol-texthuffrefinecustomposdims",
            "bitmap-trailing-7fff-stripped-harder",
            "bug1811510",
            "fields_order",
            "inks_basic",
            "issue13003",
            "issue16473",
            "issue17333",
            "issue4246",
            "issue6081",
            "issue6769",
            "issue8565",
        )
    },
}

Outcome = ExtractedDocument | IngestError


def _ingest(relative: str) -> Outcome:
    try:
        return extract_pdf((FIXTURES / relative).read_bytes(), limits=LIMITS)
    except IngestError as error:
        return error


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    """Ingest the whole corpus once, two files at a time (each in its own child process)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CORPUS, pool.map(_ingest, CORPUS), strict=True))


def test_corpus_is_present() -> None:
    assert len(CORPUS) >= 50
    assert set(REFUSED) <= set(CORPUS)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("relative", CORPUS)
def test_file_ingests_or_is_refused_clearly(relative: str, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[relative]
    if isinstance(outcome, IngestError):
        assert type(outcome) is REFUSED.get(relative), f"{relative}: {type(outcome).__name__}: {outcome}"
        message = str(outcome)
        assert message
        assert "\n" not in message
        assert len(message) < 200
        return
    assert relative not in REFUSED, f"{relative} ingested but should be refused"
    assert outcome.pages
    assert outcome.page_count == len(outcome.pages)
    assert [page.number for page in outcome.pages] == list(range(1, outcome.page_count + 1))
    assert all(1 <= paragraph.page <= outcome.page_count for paragraph in outcome.paragraphs)
    assert all(1 <= heading.page <= outcome.page_count for heading in outcome.headings)
    assert all(
        heading.paragraph_index is None or 0 <= heading.paragraph_index < len(outcome.paragraphs)
        for heading in outcome.headings
    )
    assert any(page.text.strip() for page in outcome.pages)


def test_corpus_paths_are_relative_to_fixtures() -> None:
    assert all(not Path(relative).is_absolute() for relative in CORPUS)
