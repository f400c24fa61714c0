"""The service key file: made on a fresh installation, refused when lost over existing data or malformed.

Losing the file must stop the platform at once with a clear sentence, never hand it a new key that leaves
every wrapped data key unreadable and every audit chain failing verification. Each refusal is checked to
leave the databases exactly as they were.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, inspect, literal_column, select, table

from tests.support.databases import settings_for
from tests.support.platform import FAST_AUTH, open_runtime
from tutela.config import RegionSettings, Settings
from tutela.core.organizations import service as organizations
from tutela.runtime import Runtime
from tutela.storage import objects
from tutela.storage.crypto import service_key
from tutela.storage.crypto.exceptions import KeyFileError, ServiceKeyMissing
from tutela.storage.db import Database

TUTELA = [sys.executable, "-m", "tutela.cli"]
Snapshot = dict[str, list[tuple[str, ...]]]


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Fresh databases on one backend, the key file under tmp_path."""
    with settings_for(request.param, tmp_path, auth=FAST_AUTH, jobs={"backend": "immediate"}) as configured:
        yield configured


def _urls(settings: Settings) -> list[str]:
    regions = settings.resolved_regions().values()
    return [
        settings.resolve(settings.directory_url),
        *(r.database_url for r in regions),
        *(r.keys_url for r in regions),
    ]


def _snapshot(settings: Settings) -> Snapshot:
    """Every row of every table of every database, as text, in a stable order."""
    found: Snapshot = {}
    for url in _urls(settings):
        db = Database(url)
        try:
            with db.engine.connect() as conn:
                for name in inspect(conn).get_table_names():
                    every_row: Select[Any] = select(literal_column("*")).select_from(table(name))
                    found[f"{url} {name}"] = sorted(
                        tuple(repr(v) for v in row) for row in conn.execute(every_row).all()
                    )
        finally:
            db.dispose()
    return found


def _with_data(settings: Settings) -> tuple[str, str]:
    """An organization (audit entries) with one stored object (a wrapped data key); their ids."""
    with open_runtime(settings) as runtime:
        org = organizations.create(runtime, name="Keyed", region=settings.home_region, actor="test").id
        with runtime.region_session(org) as db:
            obj = objects.put(runtime, db, org_id=org, purpose="documents", data=b"kept secret")
    return org, obj.id


# ----------------------------------------------------------------------------- a fresh installation


def test_a_fresh_installation_creates_the_key_file_without_touching_any_database(settings: Settings) -> None:
    path = settings.service_key_path
    assert not path.exists()
    runtime = Runtime(settings)
    runtime.close()
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body = json.loads(path.read_text())
    assert len(base64.b64decode(body["key"])) == 32
    if settings.regions[0].database_url.startswith("sqlite"):
        region_dir = settings.data_dir / "regions" / settings.home_region
        assert not (region_dir / "tutela.db").exists(), "checking for data must not create a database"
        assert not (region_dir / "keys.db").exists()
    reopened = Runtime(settings)  # the same key, not a new one
    try:
        assert reopened.keyring.kid == body["kid"]
    finally:
        reopened.close()


def test_migrated_but_empty_databases_still_count_as_a_fresh_installation(settings: Settings) -> None:
    with open_runtime(settings):
        pass
    settings.service_key_path.unlink()
    Runtime(settings).close()
    assert settings.service_key_path.is_file()


def test_making_the_file_never_replaces_one_another_process_made_first(tmp_path: Path) -> None:
    path = tmp_path / "service.key"
    service_key.create(path)
    first = path.read_bytes()
    service_key.create(path)
    assert path.read_bytes() == first


# ----------------------------------------------------------------------------- lost over existing data


def test_a_lost_key_file_over_existing_data_is_refused_and_nothing_changes(settings: Settings) -> None:
    org, object_id = _with_data(settings)
    path = settings.service_key_path
    saved = path.read_bytes()
    path.unlink()
    before = _snapshot(settings)

    with pytest.raises(ServiceKeyMissing) as refused:
        Runtime(settings)

    message = refused.value.message
    assert "\n" not in message
    assert f"service key file {path} is missing" in message
    assert "wrapped data keys in the key store of region 'local'" in message
    assert "audit entries in the database of region 'local'" in message
    assert "cannot be read or verified without it" in message
    assert "restore the file from a backup" in message
    assert not path.exists(), "no new key was made"
    assert _snapshot(settings) == before

    # Restoring the file from the backup brings everything back.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(saved)
    restored = Runtime(settings)
    try:
        with restored.region_session(org) as db:
            assert objects.read(restored, db, org_id=org, object_id=object_id) == b"kept secret"
    finally:
        restored.close()


def test_audit_entries_alone_are_enough_to_refuse(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, regions=[RegionSettings(name="local")], auth=FAST_AUTH)
    with open_runtime(settings) as runtime:
        organizations.create(runtime, name="Audited", region="local", actor="test")
    settings.service_key_path.unlink()
    with pytest.raises(ServiceKeyMissing, match="audit entries in the database of region 'local'") as refused:
        Runtime(settings)
    assert "wrapped data keys" not in refused.value.message


def test_a_database_that_cannot_be_checked_is_refused_rather_than_assumed_empty(tmp_path: Path) -> None:
    unreachable = "postgresql://nobody@127.0.0.1:1/tutela"
    region = RegionSettings(name="local", database_url=unreachable, keys_url=unreachable)
    with pytest.raises(KeyFileError, match="cannot be checked for data made with it") as refused:
        Runtime(Settings(data_dir=tmp_path, regions=[region]))
    assert str(tmp_path / "keys" / "service.key") in refused.value.message
    assert not (tmp_path / "keys" / "service.key").exists()


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TUTELA_DATA_DIR": str(data_dir),
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": "8192",
        "TUTELA_AUTH__ARGON2_TIME_COST": "1",
    }
    return subprocess.run(
        [*TUTELA, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_the_command_line_refuses_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    assert _cli(tmp_path, "migrate").returncode == 0
    assert _cli(tmp_path, "orgs", "create", "Acme Learning", "--region", "local").returncode == 0
    settings = Settings(data_dir=tmp_path)
    path = settings.service_key_path
    path.unlink()
    before = _snapshot(settings)

    for args in (("migrate",), ("serve", "--no-migrate", "--port", "1"), ("worker",)):
        done = _cli(tmp_path, *args)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert lines == [lines[-1]], done.stderr
        assert f"service key file {path} is missing" in lines[-1]
        assert "cannot be read or verified without it" in lines[-1]
    assert not path.exists()
    assert _snapshot(settings) == before


# ----------------------------------------------------------------------------- a damaged key file

GOOD_KEY = base64.b64encode(b"k" * 32).decode()
SHORT_KEY = base64.b64encode(b"short").decode()
DAMAGED = [
    ("", 0o600, "is empty"),
    ("not json", 0o600, "is not JSON"),
    ("[1, 2]", 0o600, "must hold a JSON object"),
    (json.dumps({"key": GOOD_KEY}), 0o600, 'has no "kid"'),
    (json.dumps({"kid": "a"}), 0o600, 'has no "key"'),
    (json.dumps({"kid": "a", "key": "***"}), 0o600, 'has a "key" that is not base64'),
    (json.dumps({"kid": "a", "key": SHORT_KEY}), 0o600, "5-byte key; it must be 32"),
    (json.dumps({"kid": "a", "key": GOOD_KEY}) + " " * 5000, 0o600, "too large for a service key file"),
    (json.dumps({"kid": "a", "key": GOOD_KEY}), 0o644, r"open to other users \(mode 0644\).*chmod 600"),
    (json.dumps({"kid": "a", "key": GOOD_KEY}), 0o640, r"open to other users \(mode 0640\)"),
]


@pytest.mark.parametrize(("content", "mode", "problem"), DAMAGED)
def test_a_damaged_key_file_is_refused_precisely_and_left_alone(
    tmp_path: Path, content: str, mode: int, problem: str
) -> None:
    path = tmp_path / "keys" / "service.key"
    path.parent.mkdir()
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=rf"service key file {path} .*{problem}"):
        Runtime(Settings(data_dir=tmp_path))
    assert path.read_text() == content, "a damaged file is never replaced"


def test_a_key_file_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "service.key"
    path.mkdir(parents=True)
    with pytest.raises(KeyFileError, match="is not a regular file"):
        Runtime(Settings(data_dir=tmp_path))


def test_a_good_key_file_with_owner_only_access_opens(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "service.key"
    path.parent.mkdir()
    path.write_text(json.dumps({"kid": "given", "key": GOOD_KEY}))
    path.chmod(0o400)
    runtime = Runtime(Settings(data_dir=tmp_path))
    try:
        assert runtime.keyring.kid == "given"
    finally:
        runtime.close()
