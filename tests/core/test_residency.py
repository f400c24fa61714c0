"""Data residency, proven on the raw storage: bytes of files, rows of databases, never the service API.

Two regions (eu-fr in the EEA, us-east in the US) from `examples/two-regions.toml`. One organization is made
in each and exercised (users, a group, an API token, audit entries, an encrypted file holding a canary).
Then every file on disk is read as bytes: nothing of one organization may be in the other region's files,
the directory may hold ids, slugs and regions only, the canary (encrypted) may be in no file at all, and
each key store may hold only its own organization's keys. Positive controls (an organization's own name is
found in its own region's files) show that the scan would see a leak.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from tests.support.databases import settings_for
from tests.support.platform import FAST_AUTH, PASSWORD, open_runtime
from tutela.config import Settings
from tutela.core.groups import service as groups
from tutela.core.organizations import service as organizations
from tutela.core.permissions.roles import Role
from tutela.core.users import service as users
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.crypto.models import DataKey

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two-regions.toml"
REGIONS = (("eu-fr", "EEA"), ("us-east", "US"))


@dataclass
class Tenant:
    """An organization and everything distinctive it stored."""

    region: str
    org_id: str
    slug: str
    name: str
    emails: list[str]
    group: str
    token_name: str
    token_secret: str
    audit_marker: str
    canary: str
    object_id: str = ""
    user_ids: list[str] = field(default_factory=list)

    def private(self) -> dict[str, bytes]:
        """What must never be outside the organization's region (the directory may have id and slug)."""
        found = {
            "name": self.name.encode(),
            "group": self.group.encode(),
            "token name": self.token_name.encode(),
            "token secret": self.token_secret.encode(),
            "audit marker": self.audit_marker.encode(),
            "canary": self.canary.encode(),
        }
        found |= {f"email {i}": email.encode() for i, email in enumerate(self.emails)}
        found |= {f"user id {i}": user_id.encode() for i, user_id in enumerate(self.user_ids)}
        return found

    def everything(self) -> dict[str, bytes]:
        """Every trace of the organization, including the id and slug the directory is allowed to keep."""
        return self.private() | {"org id": self.org_id.encode(), "slug": self.slug.encode()}


def _populate(runtime: Runtime, region: str, tag: str) -> Tenant:
    uid = uuid.uuid4().hex[:10]
    name = f"Clinique Zéphyr {tag.upper()} {uid}"
    admin_email = f"amelie.{tag}.{uid}@zephyr-{tag}.example"
    org = organizations.create(
        runtime,
        name=name,
        region=region,
        actor="test",
        admin=organizations.NewAdmin(email=admin_email, display_name=f"Amélie {uid}", password=PASSWORD),
    )
    tenant = Tenant(
        region=region,
        org_id=org.id,
        slug=org.slug,
        name=name,
        emails=[admin_email, f"jonas.{tag}.{uid}@zephyr-{tag}.example"],
        group=f"Oncologie {tag} {uid}",
        token_name=f"nightly-export-{tag}-{uid}",
        token_secret="",
        audit_marker=f"audit-note-{tag}-{uid}",
        canary=f"CANARY-{tag}-{uid}-patient-diagnosis",
    )
    now = runtime.clock.now()
    with runtime.region_session(org.id) as db:
        admin = users.find_by_email(db, org_id=org.id, email=admin_email)
        assert admin is not None
        member = users.create(
            db,
            org_id=org.id,
            email=tenant.emails[1],
            display_name=f"Jonas {uid}",
            password=PASSWORD,
            min_password_length=runtime.settings.auth.min_password_length,
        )
        tenant.user_ids = [admin.id, member.id]
        group = groups.create(db, org_id=org.id, name=tenant.group, description=f"{tenant.group} team")
        groups.add_member(db, org_id=org.id, group_id=group.id, user_id=member.id, role=Role.LEARNER)
        _, raw = users.issue_token(
            db,
            org_id=org.id,
            user_id=admin.id,
            kind="api",
            name=tenant.token_name,
            expires_at=now + timedelta(days=30),
        )
        tenant.token_secret = raw.rsplit(".", 1)[1]
        users.issue_token(db, org_id=org.id, user_id=member.id, kind="session", expires_at=now)
        organizations.record(
            runtime,
            db,
            org_id=org.id,
            actor=f"user:{admin.id}",
            action="group.created",
            target=f"group:{group.id}",
            details={"note": tenant.audit_marker},
        )
        stored = objects.put(runtime, db, org_id=org.id, purpose="documents", data=tenant.canary.encode() * 3)
        tenant.object_id = stored.id
    with runtime.region_session(org.id) as db:
        # Exercise the read path too (and prove the object is really there).
        read = objects.read(runtime, db, org_id=org.id, object_id=tenant.object_id)
        assert read == tenant.canary.encode() * 3
    return tenant


def _files(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` (databases, -wal, -shm, blobs, keys) by relative path."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(root))] = path.read_bytes()
    return found


def _hits(files: dict[str, bytes], needles: dict[str, bytes]) -> list[str]:
    """`what in file` for every needle found in a file's bytes or its path."""
    return [
        f"{what} in {name}"
        for name, content in files.items()
        for what, needle in needles.items()
        if needle in content or needle in name.encode()
    ]


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Path, list[Tenant]]]:
    """The two-region example on SQLite under a temp data dir, one exercised organization per region."""
    data_dir = tmp_path_factory.mktemp("residency")
    env = {
        "TUTELA_CONFIG": str(EXAMPLE),
        "TUTELA_DATA_DIR": str(data_dir),
        "TUTELA_AUTH__ARGON2_TIME_COST": str(FAST_AUTH["argon2_time_cost"]),
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": str(FAST_AUTH["argon2_memory_kib"]),
        "TUTELA_JOBS__BACKEND": "immediate",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("TUTELA_")]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        settings = Settings()
    assert settings.region_names == ["eu-fr", "us-east"]
    with open_runtime(settings) as runtime:
        tenants = [_populate(runtime, "eu-fr", "eu"), _populate(runtime, "us-east", "us")]
        # Files are read while the engines are open: recent writes may sit only in the -wal files.
        yield runtime, data_dir, tenants


def test_each_region_folder_holds_only_its_own_organization(
    sqlite_world: tuple[Runtime, Path, list[Tenant]],
) -> None:
    _, data_dir, (eu, us) = sqlite_world
    for own, other in ((eu, us), (us, eu)):
        files = _files(data_dir / "regions" / own.region)
        assert {"tutela.db", "keys.db"} <= set(files)
        assert any(name.endswith("-wal") for name in files), "WAL files must be part of the scan"
        # Positive control: the scan sees plaintext that is supposed to be there (not encrypted at rest).
        for needle in ("org id", "slug", "name", "email 0", "email 1", "group", "audit marker"):
            assert _hits(files, {needle: own.everything()[needle]}), f"control: {needle} of {own.region}"
        assert _hits(files, other.everything()) == []


def test_the_directory_and_other_shared_files_hold_only_ids_slugs_and_regions(
    sqlite_world: tuple[Runtime, Path, list[Tenant]],
) -> None:
    runtime, data_dir, tenants = sqlite_world
    shared = {name: content for name, content in _files(data_dir).items() if not name.startswith("regions/")}
    assert "directory.db" in shared
    for tenant in tenants:
        assert _hits(shared, tenant.private()) == []
        # Positive control: the directory does know the placement.
        assert _hits(shared, {"id": tenant.org_id.encode()})
        assert _hits(shared, {"slug": tenant.slug.encode()})
    with runtime.directory.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT id, slug, region FROM organization_placements ORDER BY region"))
        assert [tuple(row) for row in rows] == [(t.org_id, t.slug, t.region) for t in tenants]
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(organization_placements)"))}
        assert columns == {"id", "slug", "region", "created_at"}


def test_no_file_anywhere_holds_a_canary_or_a_raw_token_secret(
    sqlite_world: tuple[Runtime, Path, list[Tenant]],
) -> None:
    _, data_dir, tenants = sqlite_world
    files = _files(data_dir)
    assert len(files) >= 8
    for tenant in tenants:
        assert _hits(files, {"canary": tenant.canary.encode()}) == []
        assert _hits(files, {"token secret": tenant.token_secret.encode()}) == []


def test_blobs_and_key_stores_hold_only_their_own_organization(
    sqlite_world: tuple[Runtime, Path, list[Tenant]],
) -> None:
    runtime, data_dir, tenants = sqlite_world
    for tenant in tenants:
        region = runtime.region(tenant.region)
        blob_root = data_dir / "regions" / tenant.region / "blobs"
        blob_files = _files(blob_root)
        assert list(blob_files) == [f"orgs/{tenant.org_id}/documents/{tenant.object_id}"]
        assert region.blobs.list() == list(blob_files)
        with region.keys_db.session() as kdb:
            keys = list(kdb.query(DataKey))
        assert [(k.org_id, k.scope) for k in keys] == [(tenant.org_id, f"object:{tenant.object_id}")]
        key_files = {n: c for n, c in _files(blob_root.parent).items() if n.startswith("keys.db")}
        assert _hits(key_files, {"own id": tenant.org_id.encode()})
        others = [t for t in tenants if t is not tenant]
        for other in others:
            assert _hits(key_files, other.everything()) == []
            assert _hits(blob_files, other.everything()) == []


def _pg_dump(url: str) -> str:
    """Every row of every table of a PostgreSQL database, as row text (bytea shows as \\x hex)."""
    chunks = []
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        for table in tables:
            for (row,) in conn.execute(f'SELECT t::text FROM "{table}" t'):  # noqa: S608 - names from catalog
                chunks.append(f"{table}: {row}")
    return "\n".join(chunks)


def _pg_needles(needles: dict[str, bytes]) -> dict[str, str]:
    # Text columns show as text; binary columns as hex, so look for both forms.
    return {what: needle.decode() for what, needle in needles.items()} | {
        f"{what} (hex)": needle.hex() for what, needle in needles.items()
    }


@pytest.mark.postgres
def test_residency_on_postgresql_rows(tmp_path: Path) -> None:
    extra: dict[str, object] = {"auth": FAST_AUTH, "jobs": {"backend": "immediate"}}
    with (
        settings_for("postgres", tmp_path, regions=REGIONS, **extra) as settings,
        open_runtime(settings) as runtime,
    ):
        eu, us = _populate(runtime, "eu-fr", "eu"), _populate(runtime, "us-east", "us")
        regions = settings.resolved_regions()
        for own, other in ((eu, us), (us, eu)):
            data = _pg_dump(regions[own.region].database_url)
            keys = _pg_dump(regions[own.region].keys_url)
            assert own.name in data
            assert own.emails[0] in data
            assert own.audit_marker in data
            assert own.org_id in keys
            for dump in (data, keys):
                leaks = [w for w, n in _pg_needles(other.everything()).items() if n in dump]
                assert leaks == [], f"{other.region} data in {own.region}: {leaks}"
                canary = [w for w, n in _pg_needles({"canary": own.canary.encode()}).items() if n in dump]
                assert canary == []
            key_rows = [line for line in keys.splitlines() if line.startswith("data_keys:")]
            assert len(key_rows) == 1
            assert own.org_id in key_rows[0]
        directory = _pg_dump(settings.directory_url)
        for tenant in (eu, us):
            assert tenant.org_id in directory
            assert tenant.slug in directory
            leaks = [w for w, n in _pg_needles(tenant.private()).items() if n in directory]
            assert leaks == []
        # Blobs are still local folders: each holds only its own organization's ciphertext.
        for own, other in ((eu, us), (us, eu)):
            blob_files = _files(tmp_path / "regions" / own.region / "blobs")
            assert list(blob_files) == [f"orgs/{own.org_id}/documents/{own.object_id}"]
            assert _hits(blob_files, other.everything() | {"canary": own.canary.encode()}) == []
