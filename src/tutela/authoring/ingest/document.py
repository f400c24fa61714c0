"""The extracted form of an uploaded document: ingest fills it, generation reads it.

Pages are numbered from 1, as people cite them. Every paragraph keeps the page it starts on so that a
generated statement can cite `{page, quote}` and the quote can be checked against `Page.text`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Page(_Frozen):
    """One page's text in reading order."""

    number: int = Field(ge=1)
    text: str


class Paragraph(_Frozen):
    """A block of running text; `page` is where it starts."""

    page: int = Field(ge=1)
    text: str


class Heading(_Frozen):
    """A heading from the bookmarks, or inferred from font size and weight; level 1 is the top."""

    level: int = Field(ge=1)
    title: str
    page: int = Field(ge=1)
    paragraph_index: int | None = (
        None  # index in ExtractedDocument.paragraphs of the first paragraph after it
    )


class TimeSpan(_Frozen):
    """Where a transcript segment sits in its recording, in seconds."""

    start: float = Field(ge=0)
    end: float = Field(ge=0)


class ExtractedDocument(_Frozen):
    """Everything generation needs from a source document, and nothing of its layout."""

    title: str | None
    language: str  # ISO 639-1 code, "und" when undetermined
    page_count: int = Field(ge=1)
    pages: list[Page]
    paragraphs: list[Paragraph]
    headings: list[Heading]
    headings_source: str = Field(pattern="^(bookmarks|fonts|none)$")
    # A recording's transcript: one page per segment, and here each segment's time span (None for a PDF).
    times: list[TimeSpan] | None = None
