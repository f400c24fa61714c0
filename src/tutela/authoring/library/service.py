"""Authoring's side of the organization's library: what a signed-in person may pick from it and retrieve
from it (L5, `modules.visible_document_ids`), and several documents as one source to write a module from."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from tutela.authoring.generation.combined import Combined, Source, combine
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.models import Module, SourceDocument
from tutela.gateway.access import Caller, caller_for_org
from tutela.gateway.library import service as library
from tutela.runtime import Runtime
from tutela.storage.tenancy import scoped


def caller_for(runtime: Runtime, *, org_id: str, user_id: str) -> Caller:
    """The gateway caller for the product acting for a signed-in user: the organization's default AI
    resource, retrieving from the library only the documents that user may see (L5)."""
    with runtime.region_session(org_id) as db:
        visible = modules.visible_document_ids(
            db, org_id=org_id, who=modules.viewer(db, org_id=org_id, user_id=user_id)
        )
    return caller_for_org(runtime, org_id, user_id=user_id, library_documents=frozenset(visible))


def library_choices(db: Session, *, org_id: str, who: modules.Viewer) -> list[tuple[SourceDocument, str]]:
    """The documents of the organization's library the viewer may see (L5), with their titles."""
    visible = modules.visible_document_ids(db, org_id=org_id, who=who)
    rows = [row for row in library.in_library(db, org_id=org_id) if row.source_id in visible]
    docs = {d.id: d for d in db.scalars(scoped(SourceDocument, org_id).where(SourceDocument.id.in_(visible)))}
    return [(docs[row.source_id], row.title) for row in rows if row.source_id in docs]


def document_title(runtime: Runtime, db: Session, *, doc: SourceDocument) -> str:
    """A document's title as citations name it: its library title, else its own, else its file name."""
    entry = library.find(db, org_id=doc.org_id, source_id=doc.id)
    if entry is not None:
        return entry.title
    return modules.read_extraction(runtime, db, doc=doc).title or doc.filename


def sources_for(runtime: Runtime, db: Session, *, org_id: str, document_ids: Sequence[str]) -> Combined:
    """The documents (by id, in order) laid end to end as one source to write a module from."""
    sources = []
    for document_id in document_ids:
        doc = modules.get_document(db, org_id=org_id, document_id=document_id)
        title = document_title(runtime, db, doc=doc)
        sources.append(Source(id=doc.id, title=title, document=modules.read_extraction(runtime, db, doc=doc)))
    return combine(sources)


def combined_source(runtime: Runtime, db: Session, *, module: Module) -> Combined | None:
    """A module of several documents: its documents as one source; None for a module of one."""
    ids = modules.module_source_ids(db, module=module)
    return sources_for(runtime, db, org_id=module.org_id, document_ids=ids) if ids else None
