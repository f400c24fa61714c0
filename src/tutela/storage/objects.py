"""Encrypted objects: an organization's files, sealed under their own data key in the region's blob store.

Blob key: `orgs/<org id>/<purpose>/<object id>`. The row holds no content; the blob holds only ciphertext;
the key store holds only the wrapped key. Deleting an object destroys its key first, so even a blob that
survives (a backup, a replica, a failed delete) is unreadable.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from tutela.runtime import Runtime
from tutela.storage.crypto.envelope import content_aad, seal, unseal
from tutela.storage.db import IdMixin, RegionBase, TimestampMixin
from tutela.storage.tenancy import TenantMixin, get_owned

PURPOSE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class StoredObject(RegionBase, IdMixin, TenantMixin, TimestampMixin):
    """Metadata of one encrypted file."""

    __tablename__ = "stored_objects"

    purpose: Mapped[str] = mapped_column(String(40))
    blob_key: Mapped[str] = mapped_column(String(200))
    data_key_id: Mapped[str] = mapped_column(String(36))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")


def put(
    runtime: Runtime,
    db: Session,
    *,
    org_id: str,
    purpose: str,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> StoredObject:
    """Encrypt and store `data` for an organization, in its region."""
    if not PURPOSE_PATTERN.match(purpose):
        raise ValueError(f"invalid object purpose {purpose!r}")
    region = runtime.region_of(org_id)
    spec = runtime.customer_key_spec(db, org_id)
    obj = StoredObject(
        org_id=org_id,
        purpose=purpose,
        size=len(data),
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        blob_key="",
        data_key_id="",
    )
    db.add(obj)
    db.flush()
    with region.keys_db.session() as kdb:
        handle = runtime.keys.create(
            kdb,
            org_id=org_id,
            scope=f"object:{obj.id}",
            customer=runtime.customer_key(spec),
            customer_ref=spec,
        )
    obj.data_key_id = handle.id
    obj.blob_key = f"orgs/{org_id}/{purpose}/{obj.id}"
    region.blobs.put(
        obj.blob_key, seal(handle.key, data, aad=content_aad(org_id=org_id, owner=obj.id, key_id=handle.id))
    )
    db.flush()
    return obj


def get(db: Session, *, org_id: str, object_id: str) -> StoredObject:
    """An object's metadata."""
    return get_owned(db, StoredObject, object_id, org_id=org_id, what="file")


def read(runtime: Runtime, db: Session, *, org_id: str, object_id: str) -> bytes:
    """Decrypt an object; DataKeyDestroyed when its key was shredded."""
    obj = get(db, org_id=org_id, object_id=object_id)
    region = runtime.region_of(org_id)
    customer = runtime.customer_key(runtime.customer_key_spec(db, org_id))
    with region.keys_db.session() as kdb:
        handle = runtime.keys.get(kdb, obj.data_key_id, org_id=org_id, customer=customer)
    sealed = region.blobs.get(obj.blob_key)
    return unseal(handle.key, sealed, aad=content_aad(org_id=org_id, owner=obj.id, key_id=handle.id))


def delete(runtime: Runtime, db: Session, *, org_id: str, object_id: str) -> None:
    """Destroy the object's key, then its blob and row."""
    obj = get(db, org_id=org_id, object_id=object_id)
    region = runtime.region_of(org_id)
    with region.keys_db.session() as kdb:
        runtime.keys.destroy(kdb, obj.data_key_id)
    region.keys_db.checkpoint()  # so no copy of the wrapped key lingers in SQLite's WAL
    region.blobs.delete(obj.blob_key)
    db.delete(obj)
    db.flush()
