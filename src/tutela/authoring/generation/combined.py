"""Several documents as one source: pages laid end to end, each document a top-level chapter.

The pipeline writes a module from one `ExtractedDocument`. To write one from several, `combine` lays their
pages end to end (renumbered 1…N), and gives each document a level-1 heading with its title above its own
headings (one level deeper), so the chapters follow the documents. `Combined.cite` then turns every
citation of the written module back into a page of the document it is on, naming that document.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from pydantic import BaseModel

from tutela.authoring.generation.schemas import Citation
from tutela.authoring.ingest.document import ExtractedDocument, Heading, Page, Paragraph

T = TypeVar("T")
_PAGES = re.compile(r"\b(pages?) (\d+)(?:-(\d+))?\b")


@dataclass(frozen=True, slots=True)
class Source:
    """One document of a module's sources: its id, its title as citations name it, its extraction."""

    id: str
    title: str
    document: ExtractedDocument


@dataclass(frozen=True, slots=True)
class Combined:
    """The documents as one, and for each of its pages (from 1) the document and page it came from."""

    document: ExtractedDocument
    origins: list[tuple[Source, int]]

    def origin(self, page: int) -> tuple[Source, int]:
        """The document and its page for a page of the combined document."""
        return self.origins[min(max(page, 1), len(self.origins)) - 1]

    def name_pages(self, text: str) -> str:
        """A note of the pipeline's ("pages 3-9", "page 4") with the pages named in their documents:
        "pages 1-3 of “A” to page 2 of “B”", "page 4 of “A”"."""

        def named(match: re.Match[str]) -> str:
            first = int(match.group(2))
            last = int(match.group(3) or first)
            (a, pa), (b, pb) = self.origin(first), self.origin(last)
            if a.id != b.id:
                return f"page {pa} of \u201c{a.title}\u201d to page {pb} of \u201c{b.title}\u201d"
            pages = f"page {pa}" if pa == pb else f"pages {pa}-{pb}"
            return f"{pages} of \u201c{a.title}\u201d"

        return _PAGES.sub(named, text)

    def cite(self, value: T) -> T:
        """The module (or chapter, or question) with every citation naming its document and that
        document's page."""
        return _remap(value, self._named)

    def uncite(self, value: T) -> T:
        """The reverse of `cite`: citations as pages of the combined document (to write a part again)."""
        return _remap(value, self._combined)

    def _named(self, citation: Citation) -> Citation:
        source, page = self.origin(citation.page)
        return Citation(page=page, quote=citation.quote, document_id=source.id, document=source.title)

    def _combined(self, citation: Citation) -> Citation:
        for number, (source, page) in enumerate(self.origins, start=1):
            if source.id == citation.document_id and page == citation.page:
                return Citation(page=number, quote=citation.quote)
        return citation


def _remap(value: T, change: Callable[[Citation], Citation]) -> T:
    """`value` with `change` applied to every citation it holds (models and lists, walked through)."""
    if isinstance(value, Citation):
        return cast(T, change(value))
    if isinstance(value, list):
        return cast(T, [_remap(item, change) for item in value])
    if isinstance(value, BaseModel):
        update = {name: _remap(getattr(value, name), change) for name in type(value).model_fields}
        return cast(T, value.model_copy(update=update))
    return value


def combine(sources: Sequence[Source]) -> Combined:
    """Lay the documents' pages end to end, each under a top-level heading with its title."""
    if not sources:
        raise ValueError("at least one document is needed")
    pages: list[Page] = []
    paragraphs: list[Paragraph] = []
    headings: list[Heading] = []
    origins: list[tuple[Source, int]] = []
    for source in sources:
        doc, offset, first_paragraph = source.document, len(pages), len(paragraphs)
        top = Heading(level=1, title=source.title, page=offset + 1, paragraph_index=first_paragraph)
        headings.append(top)
        for heading in doc.headings:
            index = heading.paragraph_index
            headings.append(
                Heading(
                    level=heading.level + 1,
                    title=heading.title,
                    page=heading.page + offset,
                    paragraph_index=None if index is None else index + first_paragraph,
                )
            )
        for page in doc.pages:
            pages.append(Page(number=len(pages) + 1, text=page.text))
            origins.append((source, page.number))
        paragraphs += [Paragraph(page=p.page + offset, text=p.text) for p in doc.paragraphs]
    languages = Counter(s.document.language for s in sources)
    kinds = {s.document.headings_source for s in sources}
    document = ExtractedDocument(
        title="; ".join(s.title for s in sources)[:500],
        language=languages.most_common(1)[0][0],
        page_count=len(pages),
        pages=pages,
        paragraphs=paragraphs,
        headings=headings,
        headings_source="bookmarks" if kinds == {"bookmarks"} else "fonts",
    )
    return Combined(document, origins)
