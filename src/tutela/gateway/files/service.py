"""Upload, list, read and delete the files of an AI resource; every file is an encrypted object.

A file belongs to the resource whose key uploaded it: another resource of the organization, or another
organization, gets the same 404 as for an id that never existed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tutela.errors import NotFound
from tutela.gateway.files.models import GatewayFile
from tutela.gateway.files.validation import validate
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.db import is_valid_id
from tutela.storage.tenancy import scoped

ID_PREFIX = "file-"


def public_id(row: GatewayFile) -> str:
    """The id clients see, OpenAI style: `file-<id>`."""
    return ID_PREFIX + row.id


def upload(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    resource_id: str,
    purpose: str,
    filename: str,
    data: bytes,
) -> GatewayFile:
    """Validate the file for its purpose, then seal it in the organization's region."""
    validate(purpose, data)
    stored = objects.put(runtime, db, org_id=org_id, purpose=f"gateway-file-{purpose}", data=data)
    row = GatewayFile(
        org_id=org_id,
        resource_id=resource_id,
        purpose=purpose,
        filename=filename.replace("\\", "/").rsplit("/", 1)[-1][:255] or "file",
        size=len(data),
        object_id=stored.id,
    )
    db.add(row)
    db.flush()
    return row


def get(db: Session, *, org_id: str, resource_id: str, file_id: str) -> GatewayFile:
    """One file of the resource, or NotFound."""
    raw = file_id.removeprefix(ID_PREFIX)
    row = None
    if is_valid_id(raw):
        stmt = scoped(GatewayFile, org_id).where(
            GatewayFile.id == raw, GatewayFile.resource_id == resource_id
        )
        row = db.scalars(stmt).one_or_none()
    if row is None or row.object_id is None:
        raise NotFound(f"No such File object: {file_id}")
    return row


def list_files(db: Session, *, org_id: str, resource_id: str, purpose: str | None) -> list[GatewayFile]:
    """The resource's files, newest first."""
    stmt = scoped(GatewayFile, org_id).where(GatewayFile.resource_id == resource_id)
    if purpose is not None:
        stmt = stmt.where(GatewayFile.purpose == purpose)
    return list(db.scalars(stmt.order_by(GatewayFile.created_at.desc(), GatewayFile.id)))


def content(runtime: Runtime, db: Session, *, row: GatewayFile) -> bytes:
    """The file's bytes, decrypted."""
    assert row.object_id is not None  # `get` never returns a deleted file
    return objects.read(runtime, db, org_id=row.org_id, object_id=row.object_id)


def delete(runtime: Runtime, db: Session, *, row: GatewayFile) -> None:
    """Destroy the file's key, then its blob and rows."""
    object_id, row.object_id = row.object_id, None
    db.flush()
    if object_id is not None:
        objects.delete(runtime, db, org_id=row.org_id, object_id=object_id)
    db.delete(row)
    db.flush()
