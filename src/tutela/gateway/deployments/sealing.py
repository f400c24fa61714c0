"""Secrets Tutela keeps for an organization (upstream API keys, safety service keys), each sealed under its
own data key in the region's key store, bound to its owner; opened in memory only when used."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tutela.core.organizations.models import Organization
from tutela.runtime import Runtime
from tutela.storage.crypto.envelope import content_aad, seal, unseal


def seal_secret(
    runtime: Runtime, db: Session, *, org_id: str, owner: str, scope: str, secret: str
) -> tuple[str, bytes]:
    """A new data key for `scope` and the secret sealed under it: (data key id, sealed bytes)."""
    org = db.get(Organization, org_id)
    spec = org.customer_key_spec if org else None
    with runtime.region_of(org_id).keys_db.session() as kdb:
        handle = runtime.keys.create(
            kdb, org_id=org_id, scope=scope, customer=runtime.customer_key(spec), customer_ref=spec
        )
    sealed = seal(handle.key, secret.encode(), aad=content_aad(org_id=org_id, owner=owner, key_id=handle.id))
    return handle.id, sealed


def open_secret(runtime: Runtime, db: Session, *, org_id: str, owner: str, key_id: str, sealed: bytes) -> str:
    """The secret `seal_secret` sealed for this owner."""
    org = db.get(Organization, org_id)
    with runtime.region_of(org_id).keys_db.session() as kdb:
        handle = runtime.keys.get(
            kdb, key_id, org_id=org_id, customer=runtime.customer_key(org.customer_key_spec if org else None)
        )
    aad = content_aad(org_id=org_id, owner=owner, key_id=handle.id)
    return unseal(handle.key, sealed, aad=aad).decode()


def destroy_secret(runtime: Runtime, *, org_id: str, key_id: str) -> None:
    """Destroy the data key: the sealed secret can never be opened again."""
    with runtime.region_of(org_id).keys_db.session() as kdb:
        runtime.keys.destroy(kdb, key_id)
