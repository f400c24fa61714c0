"""Sharing an uploaded document with AI resources "on your data": `/api/documents/{id}/library`; and
`/api/library/documents`, the library documents a signed-in person may write a module from.

A shared document is indexed in the organization's library (gateway/library): API keys of the named AI
resources may then retrieve from it with `data_sources: [{"type": "tutela_library"}]`. Only whoever
manages the document (its uploader or an admin) shares or unshares it; unsharing destroys the index's key.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import Field
from sqlalchemy.orm import Session

from tutela.authoring.library import service as library_sources
from tutela.authoring.modules import service
from tutela.authoring.modules.models import SourceDocument
from tutela.core.auth.dependencies import CurrentUser, RegionDB, RuntimeDep
from tutela.core.auth.principal import UserPrincipal
from tutela.core.organizations import service as organizations
from tutela.core.schemas import Body, Read
from tutela.gateway.library import service as library

router = APIRouter(prefix="/api/documents", tags=["authoring"])
catalog_router = APIRouter(prefix="/api/library", tags=["authoring"])


class LibraryShareBody(Body):
    """The AI resources (ids) whose keys may retrieve from the document."""

    resources: list[str] = Field(min_length=1, max_length=50)


class LibraryEntryRead(Read):
    """A document's place in the library."""

    document_id: str
    in_library: bool
    title: str | None = Field(description="the title citations give it, while it is in the library")
    chunks: int
    resources: list[str]


class LibraryDocumentRead(Read):
    """A document of the library the caller may see, to write a module from (`document_ids`)."""

    document_id: str
    title: str
    filename: str
    page_count: int


@catalog_router.get("/documents", response_model=list[LibraryDocumentRead])
def list_library_documents(principal: CurrentUser, db: RegionDB) -> list[LibraryDocumentRead]:
    """The library's documents the caller may see (L5: their uploads, everything for an admin, the sources
    of the modules they see as author or reviewer), by title."""
    who = service.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    return [
        LibraryDocumentRead(document_id=doc.id, title=title, filename=doc.filename, page_count=doc.page_count)
        for doc, title in library_sources.library_choices(db, org_id=principal.org_id, who=who)
    ]


def _managed(db: Session, principal: UserPrincipal, document_id: str) -> SourceDocument:
    who = service.viewer(db, org_id=principal.org_id, user_id=principal.user_id)
    return service.document_for(db, org_id=principal.org_id, who=who, document_id=document_id)


def _read(db: Session, org_id: str, document_id: str) -> LibraryEntryRead:
    row = library.find(db, org_id=org_id, source_id=document_id)
    if row is None:
        return LibraryEntryRead(document_id=document_id, in_library=False, title=None, chunks=0, resources=[])
    shared = library.shared_with(db, org_id=org_id, document_id=row.id)
    return LibraryEntryRead(
        document_id=document_id, in_library=True, title=row.title, chunks=row.chunk_count, resources=shared
    )


@router.get("/{document_id}/library", response_model=LibraryEntryRead)
def read_library_entry(document_id: str, principal: CurrentUser, db: RegionDB) -> LibraryEntryRead:
    """Whether the document is in the library, and which AI resources may retrieve from it."""
    _managed(db, principal, document_id)
    return _read(db, principal.org_id, document_id)


@router.put("/{document_id}/library", response_model=LibraryEntryRead)
def share_document(
    document_id: str, body: LibraryShareBody, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep
) -> LibraryEntryRead:
    """Index the document in the library and share it with exactly these AI resources."""
    doc = _managed(db, principal, document_id)
    extraction = service.read_extraction(runtime, db, doc=doc)
    library.add(
        runtime,
        db,
        org_id=principal.org_id,
        source_id=doc.id,
        title=extraction.title or doc.filename,
        filename=doc.filename,
        paragraphs=[(p.page, p.text) for p in extraction.paragraphs],
        resource_ids=body.resources,
    )
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="document.shared_with_library",
        target=f"document:{doc.id}",
        details={"resources": body.resources},
    )
    return _read(db, principal.org_id, document_id)


@router.delete("/{document_id}/library", status_code=status.HTTP_204_NO_CONTENT)
def unshare_document(document_id: str, principal: CurrentUser, db: RegionDB, runtime: RuntimeDep) -> None:
    """Take the document out of the library; its index is deleted and its key destroyed."""
    doc = _managed(db, principal, document_id)
    library.remove(runtime, db, org_id=principal.org_id, source_id=doc.id)
    organizations.record(
        runtime,
        db,
        org_id=principal.org_id,
        actor=principal.actor,
        action="document.removed_from_library",
        target=f"document:{doc.id}",
        details={},
    )
