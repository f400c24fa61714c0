"""Fixtures for the ingest tests: the PDF corpus and a builder for small hand-made PDFs."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pdf"


def build_text_pdf(lines: list[str], *, padding: int = 0) -> bytes:
    """A one-page PDF showing `lines` in Helvetica, its content stream Flate-compressed.

    `padding` appends that many spaces to the content stream: they compress to almost nothing but the
    parser must inflate them, which makes a small file that needs a lot of memory.
    """
    text_ops = b"".join(
        b"BT /F1 12 Tf 72 %d Td (%s) Tj ET\n" % (720 - 16 * row, line.encode("latin-1"))
        for row, line in enumerate(lines)
    )
    # Level 1: a bomb's padding compresses in a second or two instead of several.
    stream = zlib.compress(text_ops + b" " * padding, 1)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def make_pdf() -> Callable[..., bytes]:
    """The hand-made PDF builder, as a fixture."""
    return build_text_pdf


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Read a file under tests/fixtures/pdf by its relative path."""

    def read(relative: str) -> bytes:
        return (FIXTURES / relative).read_bytes()

    return read
