"""One request's mapping between placeholders and values, sealed under a key that lives as long as it does.

    value ──AES-GCM(request key, aad=["pii", org, request, placeholder])──▶ sealed entry (memory only)

The key is 32 random bytes made when the request starts; it is never stored, logged or derived from anything
else. A value is unsealed only to put it back into an answer. The associated data binds each entry to its
organization, its request and its placeholder, so an entry can be opened neither for another tenant, nor for
another request, nor under another placeholder. Repeated values are found through an HMAC under the same key
(no value is kept in the clear to look it up). ``destroy()`` zeroes the key's bytes and drops every entry;
using the vault afterwards raises ``VaultDestroyed``.

Python cannot promise that no copy of a value remains anywhere in the process (the request's own texts hold
them while it runs); what the vault promises is that the mapping itself is unreadable without the request's
key, and that the key is gone once the request is.
"""

from __future__ import annotations

import hmac
import os

from tutela.storage.crypto.envelope import KEY_BYTES, pii_vault_aad, seal, unseal


class VaultDestroyed(RuntimeError):
    """The request this vault served has ended; its mapping is gone."""


class Vault:
    """Placeholder → value, sealed, for one request of one organization."""

    def __init__(self, *, org_id: str, request_id: str) -> None:
        self.org_id = org_id
        self.request_id = request_id
        self._key: bytearray | None = bytearray(os.urandom(KEY_BYTES))
        self._sealed: dict[str, tuple[bytes, bytes]] = {}  # placeholder → (its associated data, sealed value)
        self._index: dict[bytes, str] = {}  # HMAC of a value's identity → its placeholder

    def __len__(self) -> int:
        return len(self._live_entries())

    @property
    def destroyed(self) -> bool:
        return self._key is None

    def placeholder_for(self, identity: str) -> str | None:
        """The placeholder already given to a value of this identity (kind and normalised value), if any."""
        return self._index.get(self._fingerprint(identity))

    def keep(self, identity: str, placeholder: str, value: str) -> None:
        """Seal ``value`` as what ``placeholder`` stands for."""
        aad = pii_vault_aad(org_id=self.org_id, request_id=self.request_id, placeholder=placeholder)
        self._live_entries()[placeholder] = (aad, seal(self._key_bytes(), value.encode(), aad=aad))
        self._index[self._fingerprint(identity)] = placeholder

    def open(self, placeholder: str) -> str | None:
        """The value behind one of this request's placeholders (None for a placeholder it never gave)."""
        entry = self._live_entries().get(placeholder)
        if entry is None:
            return None
        aad, sealed = entry
        return unseal(self._key_bytes(), sealed, aad=aad).decode()

    def sealed_entries(self) -> dict[str, bytes]:
        """The entries as held: placeholders and ciphertexts only."""
        return {placeholder: sealed for placeholder, (_, sealed) in self._live_entries().items()}

    def destroy(self) -> None:
        """Zero the key and drop every entry; idempotent."""
        if self._key is not None:
            for i in range(len(self._key)):
                self._key[i] = 0
        self._key = None
        self._sealed.clear()
        self._index.clear()

    def ensure_open(self) -> None:
        """Raise ``VaultDestroyed`` once the request has ended."""
        self._key_bytes()

    def _key_bytes(self) -> bytearray:
        if self._key is None:
            raise VaultDestroyed(f"the pseudonym vault of request {self.request_id} was destroyed")
        return self._key

    def _live_entries(self) -> dict[str, tuple[bytes, bytes]]:
        self.ensure_open()
        return self._sealed

    def _fingerprint(self, identity: str) -> bytes:
        return hmac.digest(self._key_bytes(), identity.encode(), "sha256")
