"""Envelope encryption at rest, proven on raw bytes: blob files, key store files, backups and key files.

Every test reads or edits what is on disk directly (files, rows via SQL) and then goes through
`tutela.storage.objects` to show what the platform makes of it.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from sqlalchemy import text

from tests.storage.moto_server import MotoServer, moto_server
from tests.support.platform import FAST_AUTH, open_runtime
from tutela.config import RegionSettings, Settings
from tutela.core.organizations import service as organizations
from tutela.core.organizations.models import Organization
from tutela.errors import NotFound
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.crypto.envelope import SEALED_MAGIC, ServiceKeyring
from tutela.storage.crypto.exceptions import DataKeyDestroyed, DecryptionFailed, KeyFileError
from tutela.storage.crypto.keymanagers import LocalKeyManager
from tutela.storage.crypto.models import DataKey
from tutela.storage.exceptions import KeyUnavailable

__all__ = ["moto_server"]  # the session fixture, used by the customer-key tests

REGION = "local"


@dataclass
class World:
    """A migrated one-region SQLite runtime and where its files are."""

    runtime: Runtime
    data_dir: Path

    @property
    def region_dir(self) -> Path:
        return self.data_dir / "regions" / REGION

    @property
    def blob_root(self) -> Path:
        return self.region_dir / "blobs"

    def new_org(self) -> str:
        name = f"Crypto {uuid.uuid4().hex[:10]}"
        return organizations.create(self.runtime, name=name, region=REGION, actor="test").id

    def put(self, org_id: str, data: bytes) -> objects.StoredObject:
        with self.runtime.region_session(org_id) as db:
            return objects.put(self.runtime, db, org_id=org_id, purpose="documents", data=data)

    def read(self, org_id: str, object_id: str) -> bytes:
        with self.runtime.region_session(org_id) as db:
            return objects.read(self.runtime, db, org_id=org_id, object_id=object_id)

    def delete(self, org_id: str, object_id: str) -> None:
        with self.runtime.region_session(org_id) as db:
            objects.delete(self.runtime, db, org_id=org_id, object_id=object_id)

    def blob_file(self, obj: objects.StoredObject) -> Path:
        return self.blob_root / obj.blob_key

    def wrapped_key(self, key_id: str) -> bytes:
        with self.runtime.region(REGION).keys_db.session() as kdb:
            row = kdb.get(DataKey, key_id)
            assert row is not None
            return row.wrapped

    def set_customer_key(self, org_id: str, spec: str | None) -> None:
        with self.runtime.region_session(org_id) as db:
            org = db.get(Organization, org_id)
            assert org is not None
            org.customer_key_spec = spec


def _settings(data_dir: Path, **extra: object) -> Settings:
    options: dict[str, object] = {
        "regions": [RegionSettings(name=REGION)],
        "auth": FAST_AUTH,
        "jobs": {"backend": "immediate"},
    }
    return Settings(data_dir=data_dir, **(options | extra))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("encryption")
    with open_runtime(_settings(data_dir)) as runtime:
        yield World(runtime, data_dir)


def _canary() -> bytes:
    return f"CANARY-{uuid.uuid4().hex}-blood-test-results".encode()


def _all_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- ciphertext at rest


def test_blob_on_disk_is_ciphertext_and_reads_back(world: World) -> None:
    org = world.new_org()
    canary = _canary()
    obj = world.put(org, canary * 4)
    raw = world.blob_file(obj).read_bytes()
    assert raw.startswith(SEALED_MAGIC)
    assert canary not in raw
    assert canary[:16] not in raw
    assert len(raw) == len(SEALED_MAGIC) + 12 + len(canary) * 4 + 16  # magic, nonce, ciphertext, tag
    for name, content in _all_bytes(world.data_dir).items():
        assert canary not in content, f"plaintext in {name}"
    assert world.read(org, obj.id) == canary * 4


def test_same_plaintext_gives_unrelated_ciphertexts(world: World) -> None:
    org = world.new_org()
    first, second = world.put(org, b"identical content"), world.put(org, b"identical content")
    assert first.data_key_id != second.data_key_id
    assert world.blob_file(first).read_bytes() != world.blob_file(second).read_bytes()


def test_sealed_blob_moved_to_another_owner_or_organization_does_not_decrypt(world: World) -> None:
    alice, bob = world.new_org(), world.new_org()
    secret = world.put(alice, b"alice's secret")
    alice_other = world.put(alice, b"alice's other file")
    bob_file = world.put(bob, b"bob's file")
    sealed = world.blob_file(secret).read_bytes()
    # Into another organization's path: bob's key cannot open it, and the binding names alice.
    world.blob_file(bob_file).write_bytes(sealed)
    with pytest.raises(DecryptionFailed, match="bound to another owner"):
        world.read(bob, bob_file.id)
    # Into another object of the same organization: the owner binding still refuses it.
    world.blob_file(alice_other).write_bytes(sealed)
    with pytest.raises(DecryptionFailed):
        world.read(alice, alice_other.id)
    # Pointing bob's object at alice's key is refused too: keys belong to one organization.
    with world.runtime.region_session(bob) as db:
        db.execute(
            text("UPDATE stored_objects SET data_key_id = :k, blob_key = :b WHERE id = :id"),
            {"k": secret.data_key_id, "b": secret.blob_key, "id": bob_file.id},
        )
    with pytest.raises(DataKeyDestroyed):
        world.read(bob, bob_file.id)
    assert world.read(alice, secret.id) == b"alice's secret"


def test_wrapped_key_copied_onto_another_key_row_does_not_unwrap(world: World) -> None:
    alice, bob = world.new_org(), world.new_org()
    a, b = world.put(alice, b"alice data"), world.put(bob, b"bob data")
    with world.runtime.region(REGION).keys_db.session() as kdb:
        kdb.execute(
            text("UPDATE data_keys SET wrapped = :w WHERE id = :id"),
            {"w": world.wrapped_key(a.data_key_id), "id": b.data_key_id},
        )
    with pytest.raises(DecryptionFailed):
        world.read(bob, b.id)
    # Re-labelling alice's key row as bob's is caught by the same binding (org id is in the AAD).
    with world.runtime.region(REGION).keys_db.session() as kdb:
        kdb.execute(text("UPDATE data_keys SET org_id = :o WHERE id = :id"), {"o": bob, "id": a.data_key_id})
    with pytest.raises(DataKeyDestroyed):
        world.read(alice, a.id)


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag"])
def test_tampering_one_byte_of_a_blob_fails(world: World, where: str) -> None:
    org = world.new_org()
    obj = world.put(org, b"x" * 64)
    path = world.blob_file(obj)
    raw = bytearray(path.read_bytes())
    index = {"nonce": len(SEALED_MAGIC) + 3, "ciphertext": len(SEALED_MAGIC) + 12 + 10, "tag": len(raw) - 1}
    raw[index[where]] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(DecryptionFailed, match="failed authentication"):
        world.read(org, obj.id)
    path.write_bytes(bytes(raw[:20]))
    with pytest.raises(DecryptionFailed, match="not in Tutela's sealed format"):
        world.read(org, obj.id)


def test_tampering_the_wrapped_key_fails(world: World) -> None:
    org = world.new_org()
    obj = world.put(org, b"payload")
    wrapped = bytearray(world.wrapped_key(obj.data_key_id))
    wrapped[-5] ^= 0x80
    with world.runtime.region(REGION).keys_db.session() as kdb:
        kdb.execute(
            text("UPDATE data_keys SET wrapped = :w WHERE id = :id"),
            {"w": bytes(wrapped), "id": obj.data_key_id},
        )
    with pytest.raises(DecryptionFailed):
        world.read(org, obj.id)


# ----------------------------------------------------------------------------- crypto-shredding


def _sqlite_backup(source: Path, target: Path) -> None:
    """An online backup, as an operator would take it (includes what is still in the WAL)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def test_deleting_an_object_shreds_its_key_even_in_backups(world: World, tmp_path: Path) -> None:
    org = world.new_org()
    canary = _canary()
    obj = world.put(org, canary)
    wrapped = world.wrapped_key(obj.data_key_id)

    def key_files() -> dict[str, bytes]:  # keys.db, keys.db-wal, keys.db-shm
        return {n: c for n, c in _all_bytes(world.region_dir).items() if n.startswith("keys.db")}

    assert any(wrapped in content for content in key_files().values()), "control: key is in the key store"

    # A backup of the data database and the blobs, without the key store (kept and backed up separately).
    backup = tmp_path / "backup"
    backup.mkdir()
    _sqlite_backup(world.region_dir / "tutela.db", backup / "tutela.db")
    shutil.copytree(world.blob_root, backup / "blobs")
    restored_settings = _settings(
        world.data_dir,
        regions=[
            RegionSettings(
                name=REGION,
                database_url=f"sqlite:///{backup}/tutela.db",
                keys_url=world.runtime.region(REGION).settings.keys_url,
                blobs_url=str(backup / "blobs"),
            )
        ],
    )
    restored = World(Runtime(restored_settings), world.data_dir)
    try:
        assert restored.read(org, obj.id) == canary  # control: the backup works while the key exists

        world.delete(org, obj.id)

        with pytest.raises(DataKeyDestroyed, match="does not exist"):
            restored.read(org, obj.id)
        with pytest.raises(NotFound):
            world.read(org, obj.id)
        assert (backup / "blobs" / obj.blob_key).exists(), "the backup still has the ciphertext"
        assert not world.blob_file(obj).exists()
        # The wrapped key is gone from the raw key store: database file and WAL (secure_delete + checkpoint).
        leftovers = [name for name, content in key_files().items() if wrapped in content]
        assert leftovers == []
        traces = [name for name, content in key_files().items() if obj.id.encode() in content]
        assert traces == [], "even the key's scope (object:<id>) is zeroed"
        with world.runtime.region(REGION).keys_db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        restored.runtime.close()


def test_destroy_scope_and_organization_shred_only_what_they_name(world: World) -> None:
    org, other = world.new_org(), world.new_org()
    keys = world.runtime.keys
    with world.runtime.region(REGION).keys_db.session() as kdb:
        day1 = keys.create(kdb, org_id=org, scope="monitoring:2026-01-01").id
        day2 = keys.create(kdb, org_id=org, scope="monitoring:2026-01-02").id
        doc = keys.create(kdb, org_id=org, scope="object:x").id
        foreign = keys.create(kdb, org_id=other, scope="monitoring:2026-01-01").id
    with world.runtime.region(REGION).keys_db.session() as kdb:
        assert keys.destroy_scope(kdb, org_id=org, scope_prefix="monitoring:2026-01-01") == 1
    with world.runtime.region(REGION).keys_db.session() as kdb:
        with pytest.raises(DataKeyDestroyed):
            keys.get(kdb, day1, org_id=org)
        assert keys.get(kdb, day2, org_id=org).id == day2
        assert keys.destroy_organization(kdb, org_id=org) == 2
    with world.runtime.region(REGION).keys_db.session() as kdb:
        for key_id in (day2, doc):
            with pytest.raises(DataKeyDestroyed):
                keys.get(kdb, key_id, org_id=org)
        assert keys.get(kdb, foreign, org_id=other).id == foreign


# ----------------------------------------------------------------------------- the service key file


def test_service_key_file_is_private_and_outside_every_database(world: World) -> None:
    path = world.runtime.settings.service_key_path
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert world.region_dir not in path.parents
    body = json.loads(path.read_text())
    key = base64.b64decode(body["key"])
    assert len(key) == 32
    for name, content in _all_bytes(world.data_dir).items():
        if Path(name) == path.relative_to(world.data_dir):
            continue
        assert key not in content, f"service key in {name}"
        assert body["key"].encode() not in content, f"service key (base64) in {name}"


def test_missing_or_corrupt_service_key_file_is_a_clear_key_file_error(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "service.key"
    with pytest.raises(KeyFileError, match=r"service key file .*service\.key does not exist"):
        ServiceKeyring.open(path, create=False)
    keyring = ServiceKeyring.open(path)  # first start creates it
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ServiceKeyring.open(path).derive("x") == keyring.derive("x")
    for corrupt, problem in (
        ("not json", "is not JSON"),
        ('{"kid": "a"}', 'has no "key"'),
        ('{"kid": "a", "key": "***"}', 'has a "key" that is not base64'),
        ("[1, 2]", "must hold a JSON object"),
    ):
        path.write_text(corrupt)
        with pytest.raises(KeyFileError, match=problem):
            ServiceKeyring.open(path)
    path.write_text(json.dumps({"kid": "a", "key": base64.b64encode(b"short").decode()}))
    with pytest.raises(KeyFileError, match="must be 32 bytes"):
        ServiceKeyring.open(path)
    # The runtime refuses to start on a corrupt key file rather than making a new key.
    with pytest.raises(KeyFileError):
        Runtime(_settings(tmp_path))


def test_another_service_key_cannot_read_existing_data(world: World, tmp_path: Path) -> None:
    org = world.new_org()
    obj = world.put(org, b"needs the right service key")
    ServiceKeyring.open(tmp_path / "other.key")  # made apart: a runtime never makes one over existing data
    stranger = Runtime(_settings(world.data_dir, key_file=tmp_path / "other.key"))
    try:
        with stranger.region_session(org) as db, pytest.raises(DecryptionFailed):
            objects.read(stranger, db, org_id=org, object_id=obj.id)
    finally:
        stranger.close()


# ----------------------------------------------------------------------------- customer-managed keys


def test_local_customer_key_is_a_second_layer_and_its_removal_makes_data_unreadable(
    world: World, tmp_path: Path
) -> None:
    org = world.new_org()
    key_path = tmp_path / "customer.key"
    LocalKeyManager.generate_key_file(key_path)
    spec = f"local:{key_path}"
    world.set_customer_key(org, spec)
    canary = _canary()
    obj = world.put(org, canary)
    assert world.read(org, obj.id) == canary
    with world.runtime.region(REGION).keys_db.session() as kdb:
        row = kdb.get(DataKey, obj.data_key_id)
        assert row is not None
        assert row.customer_key == spec
        # The service key alone is not enough: the inner layer needs the customer's key.
        with pytest.raises(DecryptionFailed, match="organization's own key"):
            world.runtime.keys.get(kdb, obj.data_key_id, org_id=org, customer=None)
    assert canary not in world.blob_file(obj).read_bytes()

    moved = tmp_path / "customer.key.away"
    key_path.rename(moved)
    with pytest.raises(KeyUnavailable, match="does not exist"):
        world.read(org, obj.id)
    with pytest.raises(KeyUnavailable):
        world.put(org, b"cannot be stored without the key")
    moved.rename(key_path)
    assert world.read(org, obj.id) == canary
    key_path.unlink()
    with pytest.raises(KeyUnavailable):
        world.read(org, obj.id)


@pytest.fixture
def kms_key(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A fresh KMS key on the moto server: (spec for the organization, bare key id)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto_server.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto_server.secret_access_key)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    kms = boto3.client("kms", endpoint_url=moto_server.endpoint, region_name=moto_server.region)
    key_id = kms.create_key(Description=f"tutela org key {uuid.uuid4().hex[:6]}")["KeyMetadata"]["KeyId"]
    return f"aws-kms:{key_id}?region={moto_server.region}&endpoint={moto_server.endpoint}", key_id


def test_kms_customer_key_disable_blocks_reads_and_enable_restores_them(
    world: World, moto_server: MotoServer, kms_key: tuple[str, str]
) -> None:
    spec, key_id = kms_key
    kms = boto3.client("kms", endpoint_url=moto_server.endpoint, region_name=moto_server.region)
    org = world.new_org()
    world.set_customer_key(org, spec)
    canary = _canary()
    obj = world.put(org, canary)
    assert world.read(org, obj.id) == canary
    with world.runtime.region(REGION).keys_db.session() as kdb:
        row = kdb.get(DataKey, obj.data_key_id)
        assert row is not None
        assert row.customer_key == spec
        with pytest.raises(DecryptionFailed):
            world.runtime.keys.get(kdb, obj.data_key_id, org_id=org, customer=None)

    kms.disable_key(KeyId=key_id)
    try:
        with pytest.raises(KeyUnavailable, match=f"{key_id}.*(Disabled|not usable)"):
            world.read(org, obj.id)
        with pytest.raises(KeyUnavailable):
            world.put(org, b"not while the key is disabled")
    finally:
        kms.enable_key(KeyId=key_id)
    assert world.read(org, obj.id) == canary

    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(KeyUnavailable, match="scheduled for deletion"):
        world.read(org, obj.id)
