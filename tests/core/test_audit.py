"""The audit log: what it records, and that `verify` (API and CLI) catches every kind of tampering."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.support.platform import PASSWORD, Platform
from tutela.core.audit import service as audit
from tutela.core.organizations import service as organizations
from tutela.storage.crypto.envelope import ServiceKeyring

TUTELA = Path(sys.executable).with_name("tutela")


@dataclass
class Org:
    platform: Platform
    org_id: str
    slug: str
    admin: str

    def client(self) -> httpx.Client:
        return self.platform.client(self.admin)

    @property
    def engine(self) -> Engine:
        return self.platform.runtime.region_of(self.org_id).db.engine

    def verify(self) -> dict[str, Any]:
        with self.client() as client:
            response = client.get("/api/audit/verify")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def entries(self) -> list[dict[str, Any]]:
        with self.client() as client:
            response = client.get("/api/audit", params={"limit": 1000})
        assert response.status_code == 200, response.text
        return list(reversed(response.json()))  # oldest first


def _new_org(platform: Platform, entries: int = 0) -> Org:
    name = f"Audit {uuid.uuid4().hex[:8]}"
    org_id = platform.new_org(name)
    slug = name.lower().replace(" ", "-")
    org = Org(platform, org_id, slug, platform.login(slug, "admin@example.com"))
    with org.client() as client:
        for i in range(entries):
            assert client.post("/api/groups", json={"name": f"group {i}"}).status_code == 201
    return org


def _sql(org: Org, statement: str, **params: Any) -> int:
    """Run raw SQL on the organization's region database, as someone with database access would."""
    with org.engine.begin() as conn:
        return conn.execute(text(statement), {"org": org.org_id, **params}).rowcount


def test_security_relevant_actions_are_recorded_with_actor(platform: Platform) -> None:
    org = _new_org(platform)
    with org.client() as client:
        me = client.get("/api/me").json()["user"]["id"]
        actor = f"user:{me}"
        group = client.post("/api/groups", json={"name": "Staff room"}).json()["id"]
        user = client.post("/api/users", json={"email": "u@example.com", "password": PASSWORD}).json()["id"]
        token = client.post("/api/me/tokens", json={"name": "ci"}).json()["id"]
        assert client.delete(f"/api/me/tokens/{token}").status_code == 204
        cell = [{"role": "author", "permission": "audit.view", "allowed": True}]
        assert client.put("/api/org/permissions", json=cell).status_code == 200
        assert client.patch("/api/org", json={"ai_enabled": False}).status_code == 200
        (resource,) = client.get("/api/ai/resources").json()
        key = client.post(f"/api/ai/resources/{resource['id']}/keys", json={"name": "k"}).json()["id"]
        assert client.delete(f"/api/ai/resources/{resource['id']}/keys/{key}").status_code == 204
        member = {"user_id": user, "role": "coach"}
        assert client.put(f"/api/groups/{group}/members", json=member).status_code == 200
        assert client.delete(f"/api/groups/{group}/members/{user}").status_code == 204
    got = [(e["action"], e["actor"], e["target"]) for e in org.entries()]
    expected = [
        ("org.created", "test", f"org:{org.org_id}"),
        ("user.created", "test", f"user:{me}"),
        ("auth.signed_in", actor, ""),
        ("group.created", actor, f"group:{group}"),
        ("user.created", actor, f"user:{user}"),
        ("token.created", actor, f"token:{token}"),
        ("token.revoked", actor, f"token:{token}"),
        ("permissions.changed", actor, ""),
        ("org.ai_switched", actor, ""),
        ("ai.key_created", actor, f"key:{key}"),
        ("ai.key_revoked", actor, f"key:{key}"),
        ("membership.set", actor, f"group:{group}"),
        ("membership.removed", actor, f"group:{group}"),
    ]
    assert got == expected
    details = {e["action"]: e["details"] for e in org.entries()}
    assert details["permissions.changed"] == {"cells": cell}
    assert details["org.ai_switched"] == {"ai_enabled": False}
    assert details["membership.set"] == {"user": user, "role": "coach"}
    assert [e["seq"] for e in org.entries()] == list(range(1, len(expected) + 1))
    with org.client() as client:
        filtered = client.get("/api/audit", params={"action": "token."}).json()
    assert [e["action"] for e in filtered] == ["token.revoked", "token.created"]
    head = f"{len(expected)}:{org.entries()[-1]['hash']}"
    assert org.verify() == {"ok": True, "entries": len(expected), "problems": [], "head": head}


def test_an_edited_entry_is_detected(platform: Platform) -> None:
    org = _new_org(platform, entries=3)
    assert org.verify()["ok"] is True
    details = json.dumps({"forged": True})
    cast = "CAST(:details AS JSON)" if platform.backend == "postgres" else ":details"
    assert _sql(
        org,
        f"UPDATE audit_entries SET details = {cast} WHERE org_id = :org AND seq = 2",  # noqa: S608
        details=details,
    )
    assert _sql(org, "UPDATE audit_entries SET actor = 'user:nobody' WHERE org_id = :org AND seq = 4")
    result = org.verify()
    assert result["ok"] is False
    assert result["problems"] == [
        "entry 2 was altered after it was written",
        "entry 4 was altered after it was written",
    ]


def test_a_deleted_middle_entry_is_detected(platform: Platform) -> None:
    org = _new_org(platform, entries=3)
    total = org.verify()["entries"]
    assert _sql(org, "DELETE FROM audit_entries WHERE org_id = :org AND seq = 3") == 1
    result = org.verify()
    assert result["ok"] is False
    assert result["entries"] == total - 1
    assert "entries 3..3 are missing" in result["problems"]
    assert "entry 4 does not link to the entry before it" in result["problems"]


def test_deleted_newest_entries_are_detected(platform: Platform) -> None:
    org = _new_org(platform, entries=3)
    total = org.verify()["entries"]
    assert _sql(org, "DELETE FROM audit_entries WHERE org_id = :org AND seq > :keep", keep=total - 2) == 2
    result = org.verify()
    assert result["ok"] is False
    assert result["problems"] == [
        f"the log ends at entry {total - 2} but its head says {total}: entries were removed"
    ]


def test_cutting_entries_and_rewinding_the_head_is_caught_by_a_kept_anchor(platform: Platform) -> None:
    org = _new_org(platform, entries=3)
    first = org.verify()
    anchor, total = first["head"], first["entries"]
    seq, digest = anchor.split(":")
    assert int(seq) == total and len(digest) == 64
    # Someone with database access removes the two newest entries and moves the head back consistently.
    kept_hash = org.entries()[total - 3]["hash"]
    assert _sql(org, "DELETE FROM audit_entries WHERE org_id = :org AND seq > :keep", keep=total - 2) == 2
    rewound = "UPDATE organizations SET audit_head_seq = :seq, audit_head_hash = :hash WHERE id = :org"
    assert _sql(org, rewound, seq=total - 2, hash=kept_hash) == 1
    assert org.verify()["ok"] is True  # the chain alone cannot tell
    with org.client() as client:
        caught = client.get("/api/audit/verify", params={"anchor": anchor}).json()
        assert caught["ok"] is False
        assert caught["problems"] == [f"entry {total} of the recorded head is gone: the log was cut back"]
        bad = client.get("/api/audit/verify", params={"anchor": "7:nothex"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "anchor"


def _body(row: Any, details: dict[str, Any], prev_hash: str) -> bytes:
    """What an entry's hash covers, written out independently of the service."""
    return json.dumps(
        [row.org_id, row.seq, row.at.isoformat(), row.actor, row.action, row.target, details, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode()


def _rewrite_chain(org: Org, *, from_seq: int, digest: Any) -> None:
    """Edit entry `from_seq` and recompute every hash after it and the head: a consistent forged chain."""
    from tutela.core.audit.models import AuditEntry

    with org.platform.runtime.region_session(org.org_id) as db:
        rows = list(db.query(AuditEntry).filter(AuditEntry.org_id == org.org_id).order_by(AuditEntry.seq))
        db.expunge_all()
    cast = "CAST(:details AS JSON)" if org.platform.backend == "postgres" else ":details"
    prev = rows[from_seq - 2].hash
    with org.engine.begin() as conn:
        for row in rows[from_seq - 1 :]:
            details = {"forged": True} if row.seq == from_seq else row.details
            new_hash = digest(_body(row, details, prev))
            conn.execute(
                text(
                    f"UPDATE audit_entries SET details = {cast}, prev_hash = :prev, hash = :hash "  # noqa: S608
                    "WHERE org_id = :org AND seq = :seq"
                ),
                {
                    "details": json.dumps(details),
                    "prev": prev,
                    "hash": new_hash,
                    "org": org.org_id,
                    "seq": row.seq,
                },
            )
            prev = new_hash
        conn.execute(
            text("UPDATE organizations SET audit_head_hash = :hash WHERE id = :org"),
            {"hash": prev, "org": org.org_id},
        )


def test_a_consistent_chain_of_plain_sha256_is_still_detected(platform: Platform) -> None:
    org = _new_org(platform, entries=3)
    total = org.verify()["entries"]
    _rewrite_chain(org, from_seq=3, digest=lambda body: hashlib.sha256(body).hexdigest())
    result = org.verify()
    assert result["ok"] is False
    # Links and head are consistent; only the keyed MAC gives the forgery away, on every rewritten entry.
    assert result["problems"] == [f"entry {s} was altered after it was written" for s in range(3, total + 1)]


def test_the_same_forgery_with_the_service_key_passes(platform: Platform) -> None:
    """The control for the test above: with the key from the service key file, the rewrite is accepted —
    so it is the key, not a difference in what `_body` covers, that defeats the SHA-256 forgery."""
    org = _new_org(platform, entries=2)
    key = organizations.audit_key(platform.runtime)
    assert platform.runtime.settings.service_key_path.exists()
    _rewrite_chain(org, from_seq=2, digest=lambda body: hmac.new(key, body, hashlib.sha256).hexdigest())
    assert org.verify()["ok"] is True
    assert org.entries()[1]["details"] == {"forged": True}


def test_concurrent_appends_leave_a_valid_chain(platform: Platform) -> None:
    """20 threads append to one organization at once, each in its own session, each having read the
    organization first (as routers do) so a stale head in the session would show."""
    org = _new_org(platform)
    before = org.verify()["entries"]
    runtime = platform.runtime
    key = organizations.audit_key(runtime)
    threads_n = 20
    start = threading.Event()
    errors: list[BaseException] = []

    def append(i: int) -> None:
        try:
            start.wait(timeout=30)
            with runtime.region_session(org.org_id) as db:
                organizations.get(db, org_id=org.org_id)
                time.sleep(0.05)  # (no barrier: the SQLite pool has fewer connections than threads)
                audit.record(
                    db,
                    key=key,
                    org_id=org.org_id,
                    actor=f"thread:{i}",
                    action="test.concurrent",
                    at=runtime.clock.now(),
                    details={"i": i},
                )
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, f"{len(errors)} appends failed, first: {errors[0]!r}"
    result = org.verify()
    assert result | {"head": ""} == {"ok": True, "entries": before + threads_n, "problems": [], "head": ""}
    assert result["head"].startswith(f"{before + threads_n}:")
    actors = {e["actor"] for e in org.entries() if e["action"] == "test.concurrent"}
    assert actors == {f"thread:{i}" for i in range(threads_n)}


def _cli_env(platform: Platform) -> dict[str, str]:
    """TUTELA_* variables that point the CLI at the same data dir and databases as the running platform."""
    settings = platform.runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTELA_")}
    regions = [
        {
            "name": r.name,
            "jurisdiction": r.jurisdiction,
            "database_url": r.database_url,
            "keys_url": r.keys_url,
            "blobs_url": r.blobs_url,
        }
        for r in settings.resolved_regions().values()
    ]
    env |= {
        "TUTELA_DATA_DIR": str(settings.data_dir.resolve()),
        "TUTELA_DIRECTORY_URL": settings.resolve(settings.directory_url),
        "TUTELA_REGIONS": json.dumps(regions),
        "TUTELA_KEY_FILE": str(settings.service_key_path.resolve()),
    }
    return env


def _cli_verify(platform: Platform, org: str, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TUTELA), "audit", "verify", "--org", org, *more],
        env=_cli_env(platform),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_verifies_and_reports_tampering(platform: Platform) -> None:
    if platform.backend != "sqlite":
        pytest.skip(
            "one backend is enough for the CLI: starting it is slow, and verify is tested on both above"
        )
    assert TUTELA.exists(), TUTELA
    org = _new_org(platform, entries=2)
    total = org.verify()["entries"]
    ok = _cli_verify(platform, org.slug)
    assert ok.returncode == 0, ok.stderr
    head = org.verify()["head"]
    assert ok.stdout.strip() == f"audit log intact: {total} entries; head {head}"
    assert _sql(org, "DELETE FROM audit_entries WHERE org_id = :org AND seq = 2") == 1
    assert _sql(org, "UPDATE audit_entries SET target = 'org:elsewhere' WHERE org_id = :org AND seq = 1") == 1
    bad = _cli_verify(platform, org.org_id, "--anchor", head)  # by id this time, with the head kept above
    assert bad.returncode == 1, bad.stdout
    assert bad.stderr.splitlines() == [
        "TAMPERED: entry 1 was altered after it was written",
        "TAMPERED: entries 2..2 are missing",
        "TAMPERED: entry 3 does not link to the entry before it",
    ]
    malformed = _cli_verify(platform, org.slug, "--anchor", "12")
    assert malformed.returncode != 0 and "SEQ:HASH" in malformed.stderr


def test_another_service_key_file_fails_the_same_untouched_chain(platform: Platform, tmp_path: Path) -> None:
    """The MAC key comes from the service key file: an intact chain fails under another key file."""
    org = _new_org(platform)
    keyring = ServiceKeyring.open(tmp_path / "other.key")
    other_key = keyring.derive("tutela audit chain v1")
    assert other_key != organizations.audit_key(platform.runtime)
    with platform.runtime.region_session(org.org_id) as db:
        assert audit.verify(db, key=organizations.audit_key(platform.runtime), org_id=org.org_id).ok
        result = audit.verify(db, key=other_key, org_id=org.org_id)
    assert not result.ok
    assert result.problems == [
        f"entry {s} was altered after it was written" for s in range(1, result.entries + 1)
    ]
