"""A request's vault: values sealed under the request's own key, bound to its organization and request, and
gone for good once destroyed."""

from __future__ import annotations

import pytest

from tutela.gateway.pii.pseudonyms import Pseudonyms
from tutela.gateway.pii.vault import Vault, VaultDestroyed
from tutela.storage.crypto.envelope import pii_vault_aad, unseal
from tutela.storage.crypto.exceptions import DecryptionFailed

EMAIL, IBAN = "ada@example.org", "GB82 WEST 1234 5698 7654 32"


def _filled(org_id: str = "org_a", request_id: str = "req_1") -> tuple[Vault, Pseudonyms]:
    vault = Vault(org_id=org_id, request_id=request_id)
    pseudonyms = Pseudonyms(vault)
    assert pseudonyms.pseudonymise(f"{EMAIL} pays from {IBAN}") == "<EMAIL_1> pays from <IBAN_1>"
    return vault, pseudonyms


def test_entries_hold_ciphertext_only_and_open_to_the_values() -> None:
    vault, _ = _filled()
    entries = vault.sealed_entries()
    assert set(entries) == {"<EMAIL_1>", "<IBAN_1>"}
    for sealed in entries.values():
        for fragment in (b"ada", b"example", b"WEST", b"5698"):
            assert fragment not in sealed
    assert vault.open("<EMAIL_1>") == EMAIL and vault.open("<IBAN_1>") == IBAN
    assert vault.open("<EMAIL_2>") is None


def test_each_request_has_its_own_key() -> None:
    first, _ = _filled(request_id="req_1")
    second, _ = _filled(request_id="req_1")
    assert first.sealed_entries()["<EMAIL_1>"] != second.sealed_entries()["<EMAIL_1>"]
    assert first._key != second._key  # two fresh random keys


def test_an_entry_opens_only_for_its_own_organization_request_and_placeholder() -> None:
    vault, _ = _filled(org_id="org_a", request_id="req_1")
    sealed = vault.sealed_entries()["<EMAIL_1>"]
    key = bytes(vault._key or b"")  # the same key: only the associated data differs
    own = pii_vault_aad(org_id="org_a", request_id="req_1", placeholder="<EMAIL_1>")
    assert unseal(key, sealed, aad=own) == EMAIL.encode()
    for org_id, request_id, placeholder in (
        ("org_b", "req_1", "<EMAIL_1>"),  # another tenant
        ("org_a", "req_2", "<EMAIL_1>"),  # another request of the same tenant
        ("org_a", "req_1", "<IBAN_1>"),  # swapped between placeholders
    ):
        other = pii_vault_aad(org_id=org_id, request_id=request_id, placeholder=placeholder)
        with pytest.raises(DecryptionFailed):
            unseal(key, sealed, aad=other)


def test_destroy_zeroes_the_key_drops_the_entries_and_refuses_any_use() -> None:
    vault, pseudonyms = _filled()
    key = vault._key  # the very bytearray the vault held
    assert key is not None and any(key)
    vault.destroy()
    assert vault.destroyed and bytes(key) == bytes(len(key))
    assert vault._sealed == {} and vault._index == {}
    for use in (
        lambda: vault.open("<EMAIL_1>"),
        lambda: vault.keep("EMAIL:x", "<EMAIL_3>", "x@example.org"),
        lambda: vault.placeholder_for("EMAIL:ada@example.org"),
        lambda: len(vault),
        lambda: pseudonyms.restore("Dear <EMAIL_1>"),
        lambda: pseudonyms.pseudonymise("nothing personal"),
    ):
        with pytest.raises(VaultDestroyed, match="destroyed"):
            use()
    vault.destroy()  # twice is harmless
