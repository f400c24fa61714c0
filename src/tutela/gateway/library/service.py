"""Adding documents to the organization's library, sharing them with AI resources, and retrieving from them.

Who sees what: an API key retrieves only from documents shared with its own AI resource; another resource
of the same organization, or another organization, finds nothing (the same as an empty library). When the
product itself calls for a signed-in user, the caller names the documents that user may see (L5, decided
by authoring) and retrieval keeps to those, whatever the resource shares. Sharing
is decided by whoever manages the document (its uploader or an admin, checked by the caller of `add`).
The index is one encrypted object per document in the organization's region; `remove` destroys its key.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tutela.errors import NotFound
from tutela.gateway.library import index
from tutela.gateway.library.models import LibraryDocument, LibraryShare
from tutela.gateway.providers.extractive.embeddings import Embedder
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.tenancy import scoped

INDEX_PURPOSE = "library-index"


@dataclass(frozen=True, slots=True)
class Retrieved:
    """A chunk retrieved for a question: the passage and where it is from."""

    source_id: str
    title: str
    filename: str
    page: int
    chunk: int
    text: str


def find(db: Session, *, org_id: str, source_id: str) -> LibraryDocument | None:
    """The library entry of an uploaded document, if it is in the library."""
    stmt = scoped(LibraryDocument, org_id).where(LibraryDocument.source_id == source_id)
    return db.scalars(stmt).one_or_none()


def shared_with(db: Session, *, org_id: str, document_id: str) -> list[str]:
    """Ids of the AI resources a library document is shared with."""
    stmt = select(LibraryShare.resource_id).where(
        LibraryShare.org_id == org_id, LibraryShare.document_id == document_id
    )
    return list(db.scalars(stmt))


def add(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    source_id: str,
    title: str,
    filename: str,
    paragraphs: Sequence[tuple[int, str]],
    resource_ids: Sequence[str],
) -> LibraryDocument:
    """Index a document (again) and share it with exactly these AI resources of the organization."""
    for resource_id in resource_ids:
        resources.get_resource(db, org_id=org_id, resource_id=resource_id)  # NotFound across tenants
    built = index.build(Embedder.load(), paragraphs)
    remove(runtime, db, org_id=org_id, source_id=source_id)
    stored = objects.put(
        runtime,
        db,
        org_id=org_id,
        purpose=INDEX_PURPOSE,
        data=built.to_bytes(),
        content_type="application/json",
    )
    row = LibraryDocument(
        org_id=org_id,
        source_id=source_id,
        title=title[:500],
        filename=filename[:255],
        chunk_count=len(built.chunks),
        index_object_id=stored.id,
    )
    db.add(row)
    db.flush()
    for resource_id in dict.fromkeys(resource_ids):
        db.add(LibraryShare(org_id=org_id, document_id=row.id, resource_id=resource_id))
    db.flush()
    return row


def remove(runtime: Runtime, db: Session, *, org_id: str, source_id: str) -> None:
    """Take a document out of the library: its index's key is destroyed, then its rows."""
    row = find(db, org_id=org_id, source_id=source_id)
    if row is None:
        return
    object_id, row.index_object_id = row.index_object_id, None
    db.flush()
    if object_id is not None:
        objects.delete(runtime, db, org_id=org_id, object_id=object_id)
    db.delete(row)
    db.flush()


def in_library(db: Session, *, org_id: str) -> list[LibraryDocument]:
    """Every document of the organization's library, by title."""
    stmt = scoped(LibraryDocument, org_id).where(LibraryDocument.index_object_id.is_not(None))
    return list(db.scalars(stmt.order_by(LibraryDocument.title, LibraryDocument.id)))


def visible_to(
    db: Session, *, org_id: str, resource_id: str, only: Collection[str] | None = None
) -> list[LibraryDocument]:
    """The library documents an AI resource's keys may retrieve from; with `only` (the source documents a
    signed-in user may see, when the product calls for them), those of the library instead."""
    stmt = scoped(LibraryDocument, org_id).where(LibraryDocument.index_object_id.is_not(None))
    if only is None:
        stmt = stmt.join(LibraryShare, LibraryShare.document_id == LibraryDocument.id).where(
            LibraryShare.resource_id == resource_id
        )
    else:
        stmt = stmt.where(LibraryDocument.source_id.in_(sorted(only)))
    return list(db.scalars(stmt.order_by(LibraryDocument.created_at)))


def retrieve(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    resource_id: str,
    question: str,
    top_n: int,
    strictness: int,
    query_type: str,
    only: Collection[str] | None = None,
) -> list[Retrieved]:
    """The chunks of the visible documents (`visible_to`) that best answer the question, best first."""
    rows = visible_to(db, org_id=org_id, resource_id=resource_id, only=only)
    indexes = []
    for row in rows:
        if row.index_object_id is None:
            raise NotFound(f"library document {row.id!r} has no index")
        data = objects.read(runtime, db, org_id=org_id, object_id=row.index_object_id)
        indexes.append(index.DocumentIndex.from_bytes(data))
    hits = index.rank(
        Embedder.load(), question, indexes, top_n=top_n, strictness=strictness, query_type=query_type
    )
    out = []
    for hit in hits:
        row, chunk = rows[hit.document], indexes[hit.document].chunks[hit.chunk]
        out.append(
            Retrieved(
                source_id=row.source_id,
                title=row.title,
                filename=row.filename,
                page=chunk.page,
                chunk=hit.chunk,
                text=chunk.text,
            )
        )
    return out
