"""Refusals: wrong kind of file, limits, and children that crash, hang, or run out of memory."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from tutela.authoring.ingest import (
    BrokenPdf,
    IngestLimits,
    IngestMemoryExceeded,
    IngestTimeout,
    NotAPdf,
    PdfTooLarge,
    TooManyPages,
    extract_pdf,
)
from tutela.authoring.ingest.exceptions import error_for_code
from tutela.authoring.ingest.sandbox import _failure

LIMITS = IngestLimits(timeout_seconds=30)
_MB = 1024 * 1024


def test_text_file_renamed_pdf_is_not_a_pdf() -> None:
    with pytest.raises(NotAPdf, match=r"^This file is not a PDF"):
        extract_pdf(b"Meeting notes\nThis is plain text saved with a .pdf name.\n", limits=LIMITS)


def test_empty_upload_is_not_a_pdf() -> None:
    with pytest.raises(NotAPdf):
        extract_pdf(b"", limits=LIMITS)


@pytest.mark.parametrize("keep", [200, 20_000, 500_000])
def test_truncated_pdf_is_broken(keep: int, fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(BrokenPdf, match=r"damaged or unreadable"):
        extract_pdf(fixture_bytes("real/tracemonkey.pdf")[:keep], limits=LIMITS)


def test_file_over_size_limit(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(PdfTooLarge, match=r"the limit is 1 MB"):
        extract_pdf(fixture_bytes("real/GeoTopo-komprimiert.pdf"), limits=IngestLimits(max_bytes=_MB))


def test_too_many_pages(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(TooManyPages, match=r"^This PDF has 14 pages; the limit is 10 pages\.$"):
        extract_pdf(fixture_bytes("real/tracemonkey.pdf"), limits=IngestLimits(max_pages=10))


def test_timeout_kills_the_child(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(IngestTimeout, match=r"longer than 0.05 seconds"):
        extract_pdf(fixture_bytes("real/tracemonkey.pdf"), limits=IngestLimits(timeout_seconds=0.05))


@pytest.mark.timeout(60)
def test_decompression_bomb_hits_memory_limit(make_pdf: Callable[..., bytes]) -> None:
    bomb = make_pdf(["Hello"], padding=400 * _MB)  # under 2 MB on disk
    assert len(bomb) < 2 * _MB
    with pytest.raises(IngestMemoryExceeded, match=r"more than 256 MB"):
        extract_pdf(bomb, limits=IngestLimits(memory_bytes=256 * _MB))


def test_tiny_memory_limit(fixture_bytes: Callable[[str], bytes]) -> None:
    with pytest.raises(IngestMemoryExceeded):
        extract_pdf(fixture_bytes("real/tracemonkey.pdf"), limits=IngestLimits(memory_bytes=16 * _MB))


def test_crash_without_memory_pressure_is_a_broken_file() -> None:
    # A wait status for "killed by SIGSEGV" with 20 MB resident: a parser crash, not exhaustion.
    assert isinstance(_failure(signal.SIGSEGV, 20 * _MB, LIMITS, b""), BrokenPdf)
    assert isinstance(_failure(signal.SIGABRT, 1200 * _MB, LIMITS, b""), IngestMemoryExceeded)


def test_unknown_or_multiline_child_errors_stay_readable() -> None:
    assert isinstance(error_for_code("no-such-code", "x"), BrokenPdf)
    assert "\n" not in str(error_for_code("broken", "Traceback\n  boom"))
