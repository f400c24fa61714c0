"""Time spans on the citations of a module made from a recording.

A transcript is an ExtractedDocument whose pages are the recording's segments (`times` holds their spans),
so generation, checks and regeneration cite it like any document; every citation then gets the span of the
segment it cites, from the transcript, so what a model wrote about time is never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping

from tutela.authoring.generation.schemas import Citation, Module
from tutela.authoring.ingest.document import ExtractedDocument


def _timed(citation: Citation, document: ExtractedDocument) -> Citation:
    times = document.times
    if times is None or not 1 <= citation.page <= len(times):
        return citation.model_copy(update={"start": None, "end": None})
    span = times[citation.page - 1]
    return citation.model_copy(update={"start": span.start, "end": span.end})


def with_times(
    content: Module, document: ExtractedDocument, others: Mapping[str, ExtractedDocument] | None = None
) -> Module:
    """The module with every citation's time span set from the transcript (cleared for a PDF). In a module
    of several documents (`others`, by id) a citation naming its document is timed by that document."""
    data = content.model_copy(deep=True)

    def timed(citation: Citation) -> Citation:
        own = (others or {}).get(citation.document_id or "", document)
        return _timed(citation, own)

    for chapter in data.chapters:
        for lesson in chapter.lessons:
            lesson.citations = [timed(c) for c in lesson.citations]
    for question in data.questions:
        question.citation = timed(question.citation)
    return data


def clock(seconds: float) -> str:
    """A time stamp as players show it: "1:05:09", "4:09", "0:12"."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def where(citation: Citation) -> str:
    """Where a citation points, as a reader says it: "p. 4", or "0:12–0:18" in a recording."""
    if citation.start is not None and citation.end is not None:
        return f"{clock(citation.start)}–{clock(citation.end)}"
    return f"p. {citation.page}"
