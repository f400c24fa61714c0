"""Time spans on the citations of a module made from a recording.

A transcript is an ExtractedDocument whose pages are the recording's segments (`times` holds their spans),
so generation, checks and regeneration cite it like any document; every citation then gets the span of the
segment it cites, from the transcript, so what a model wrote about time is never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tutela.authoring.generation.schemas import Citation, Module, clock
from tutela.authoring.ingest.document import ExtractedDocument

# A title naming pages, as the built-in model words an untitled stretch in its languages ("Pages 1–10",
# "Seite 3", "Pages 1 à 4") or an upstream model might ("Pages 3-5", "Page 2 (2)").
_PAGE_TITLE = re.compile(
    r"^\W*(?:pages?|seiten?|p[áa]ginas?|pagin[ae]|pagina[’']s|الصفحات|الصفحة)\s+(\d+)"
    r"(?:\s*(?:[-–—]|à|to|bis|a)\s*(\d+))?[.:]?(\s*\(\d+\))?\s*$",
    re.IGNORECASE,
)


def _timed(citation: Citation, document: ExtractedDocument) -> Citation:
    times = document.times
    if times is None or not 1 <= citation.page <= len(times):
        return citation.model_copy(update={"start": None, "end": None})
    span = times[citation.page - 1]
    return citation.model_copy(update={"start": span.start, "end": span.end})


def stretch(document: ExtractedDocument, first: int, last: int) -> str:
    """A stretch of the source as a note names it: "page 3", "pages 3-9", or its time span in a
    recording's transcript ("0:12–1:05"), whose pages are segments nobody sees."""
    times = document.times
    if times is not None and 1 <= first <= last <= len(times):
        return f"{clock(times[first - 1].start)}–{clock(times[last - 1].end)}"
    return f"page {first}" if first == last else f"pages {first}-{last}"


def _retitled(title: str, document: ExtractedDocument) -> str:
    """A title naming pages of a transcript ("Pages 1–10") as the time span it covers."""
    found = _PAGE_TITLE.match(title)
    times = document.times
    if found is None or times is None:
        return title
    first = int(found.group(1))
    last = max(first, int(found.group(2) or first))
    if not 1 <= first <= len(times):
        return title
    return stretch(document, first, min(last, len(times))) + (found.group(3) or "")


def with_times(
    content: Module, document: ExtractedDocument, others: Mapping[str, ExtractedDocument] | None = None
) -> Module:
    """The module with every citation's time span set from the transcript (cleared for a PDF). In a module
    of several documents (`others`, by id) a citation naming its document is timed by that document.

    Made from a recording, a chapter or lesson title that names pages (how a model titles a stretch it has
    no name for) is named by its time span instead: a recording's module never speaks of pages."""
    data = content.model_copy(deep=True)

    def timed(citation: Citation) -> Citation:
        own = (others or {}).get(citation.document_id or "", document)
        return _timed(citation, own)

    for chapter in data.chapters:
        chapter.title = _retitled(chapter.title, document)
        for lesson in chapter.lessons:
            lesson.title = _retitled(lesson.title, document)
            lesson.citations = [timed(c) for c in lesson.citations]
    for question in data.questions:
        question.citation = timed(question.citation)
    return data


def where(citation: Citation) -> str:
    """Where a citation points, as a reader says it: "p. 4", or "0:12–0:18" in a recording."""
    if citation.start is not None and citation.end is not None:
        return f"{clock(citation.start)}–{clock(citation.end)}"
    return f"p. {citation.page}"
