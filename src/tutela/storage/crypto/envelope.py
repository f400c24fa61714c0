"""Envelope encryption with AES-256-GCM.

    plaintext ──AES-GCM(data key, aad=owner)──▶ sealed bytes (in a database row or a blob)
    data key  ──[customer key manager]──▶ ──AES-GCM(service key)──▶ wrapped key (in the region's key store)

The service key-encryption key lives in a file outside every database. A data key is made per object, or per
retention bucket (one per organization per day for monitoring), so destroying one key destroys exactly the
data it covered. Associated data binds every ciphertext to its owner: a sealed blob copied into another
organization, or a wrapped key moved to another scope, fails to decrypt.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tutela.storage.crypto import service_key
from tutela.storage.crypto.exceptions import DataKeyDestroyed, DecryptionFailed, KeyFileError
from tutela.storage.crypto.models import DataKey

KEY_BYTES = 32
NONCE_BYTES = 12
SEALED_MAGIC = b"TTL1"


class CustomerKeyManager(Protocol):
    """The organization's own key, used as a second wrapping layer."""

    def wrap(self, plaintext: bytes, *, context: dict[str, str]) -> bytes: ...

    def unwrap(self, ciphertext: bytes, *, context: dict[str, str]) -> bytes: ...


def _aad(*parts: str) -> bytes:
    return json.dumps(parts, separators=(",", ":")).encode()


def seal(key: bytes | bytearray, plaintext: bytes, *, aad: bytes) -> bytes:
    """Encrypt with AES-256-GCM under a fresh nonce; output is magic + nonce + ciphertext."""
    nonce = os.urandom(NONCE_BYTES)
    return SEALED_MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes | bytearray, sealed: bytes, *, aad: bytes) -> bytes:
    """Decrypt what `seal` produced, checking the binding."""
    if not sealed.startswith(SEALED_MAGIC) or len(sealed) < len(SEALED_MAGIC) + NONCE_BYTES + 16:
        raise DecryptionFailed("ciphertext is not in Tutela's sealed format")
    nonce = sealed[len(SEALED_MAGIC) : len(SEALED_MAGIC) + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, sealed[len(SEALED_MAGIC) + NONCE_BYTES :], aad)
    except InvalidTag as exc:
        raise DecryptionFailed(
            "ciphertext failed authentication (tampered, or bound to another owner)"
        ) from exc


class ServiceKeyring:
    """The service key-encryption key, read from (or created in) a key file with mode 0600."""

    def __init__(self, kid: str, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise KeyFileError(f"service key must be {KEY_BYTES} bytes, got {len(key)}")
        self.kid = kid
        self._key = key

    @classmethod
    def open(
        cls, path: Path, *, create: bool = True, protected: Iterable[service_key.ProtectedTable] = ()
    ) -> ServiceKeyring:
        """Load the key file, creating it on first start when allowed and no table of `protected` holds
        data made with a key (then the file was lost: ServiceKeyMissing, never a new key)."""
        if not path.exists():
            if not create:
                raise KeyFileError(f"service key file {path} does not exist")
            service_key.refuse_if_protected(path, protected)
            service_key.create(path)
        return cls(*service_key.read(path))

    def derive(self, purpose: str) -> bytes:
        """A sub-key for a named purpose (e.g. audit chain MACs), so one secret is never used twice."""
        from cryptography.hazmat.primitives.hashes import SHA256
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()).derive(self._key)

    def wrap(self, data_key: bytes, *, aad: bytes) -> bytes:
        """Wrap a (possibly customer-wrapped) data key."""
        return seal(self._key, data_key, aad=aad)

    def unwrap(self, wrapped: bytes, *, aad: bytes) -> bytes:
        """Unwrap what `wrap` produced."""
        return unseal(self._key, wrapped, aad=aad)


@dataclass(frozen=True)
class DataKeyHandle:
    """A data key in the clear, in memory only, with the id that finds its wrapped form."""

    id: str
    key: bytes


class KeyService:
    """Creates, unwraps and destroys data keys in one region's key store."""

    def __init__(self, keyring: ServiceKeyring) -> None:
        self.keyring = keyring

    def create(
        self,
        keys_db: Session,
        *,
        org_id: str,
        scope: str,
        customer: CustomerKeyManager | None = None,
        customer_ref: str | None = None,
    ) -> DataKeyHandle:
        """Make a fresh data key and store it wrapped."""
        row = DataKey(
            org_id=org_id, scope=scope, service_kid=self.keyring.kid, customer_key=customer_ref, wrapped=b""
        )
        keys_db.add(row)
        keys_db.flush()
        key = os.urandom(KEY_BYTES)
        inner = key if customer is None else customer.wrap(key, context=self._context(row))
        row.wrapped = self.keyring.wrap(inner, aad=_aad("dek", row.id, org_id, scope))
        keys_db.flush()
        return DataKeyHandle(row.id, key)

    def get(
        self, keys_db: Session, key_id: str, *, org_id: str, customer: CustomerKeyManager | None = None
    ) -> DataKeyHandle:
        """Unwrap a stored data key; DataKeyDestroyed when it was shredded."""
        row = keys_db.get(DataKey, key_id)
        if row is None or row.org_id != org_id:
            raise DataKeyDestroyed(f"data key {key_id} does not exist (destroyed or never issued)")
        inner = self.keyring.unwrap(row.wrapped, aad=_aad("dek", row.id, row.org_id, row.scope))
        if row.customer_key is not None:
            if customer is None:
                raise DecryptionFailed(
                    "data key is wrapped by the organization's own key, which is not configured"
                )
            inner = customer.unwrap(inner, context=self._context(row))
        return DataKeyHandle(row.id, inner)

    def find(self, keys_db: Session, *, org_id: str, scope: str) -> str | None:
        """Id of the newest key of a scope (for per-bucket keys), if any."""
        stmt = select(DataKey.id).where(DataKey.org_id == org_id, DataKey.scope == scope)
        return keys_db.scalars(stmt.order_by(DataKey.created_at.desc())).first()

    def destroy(self, keys_db: Session, key_id: str) -> bool:
        """Crypto-shred one key; True when it existed."""
        result = keys_db.execute(delete(DataKey).where(DataKey.id == key_id))
        return bool(getattr(result, "rowcount", 0))

    def destroy_scope(self, keys_db: Session, *, org_id: str, scope_prefix: str) -> int:
        """Crypto-shred every key of an organization whose scope starts with a prefix."""
        stmt = delete(DataKey).where(
            DataKey.org_id == org_id, DataKey.scope.startswith(scope_prefix, autoescape=True)
        )
        return int(getattr(keys_db.execute(stmt), "rowcount", 0))

    def destroy_organization(self, keys_db: Session, *, org_id: str) -> int:
        """Crypto-shred every key of an organization."""
        return int(getattr(keys_db.execute(delete(DataKey).where(DataKey.org_id == org_id)), "rowcount", 0))

    @staticmethod
    def _context(row: DataKey) -> dict[str, str]:
        return {"tutela:org": row.org_id, "tutela:key": row.id, "tutela:scope": row.scope}


def content_aad(*, org_id: str, owner: str, key_id: str) -> bytes:
    """Associated data binding sealed content to its organization, its owner and its key."""
    return _aad("content", org_id, owner, key_id)


def pii_vault_aad(*, org_id: str, request_id: str, placeholder: str) -> bytes:
    """Associated data binding one sealed pseudonym to its organization, its request and its placeholder."""
    return _aad("pii", org_id, request_id, placeholder)
