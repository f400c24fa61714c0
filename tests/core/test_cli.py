"""The `tutela` command line, run as a real subprocess against a real data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import free_port
from tutela.config import Settings
from tutela.core.auth import secrets
from tutela.gateway.resources import service as resources
from tutela.runtime import Runtime

TUTELA = [sys.executable, "-m", "tutela.cli"]


def run(data_dir: Path, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TUTELA_DATA_DIR": str(data_dir),
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": "8192",
        "TUTELA_AUTH__ARGON2_TIME_COST": "1",
        **env,
    }
    done = subprocess.run(
        [*TUTELA, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def test_migrate_orgs_users_keys_and_audit_from_the_command_line(tmp_path: Path) -> None:
    assert "migrated region local" in run(tmp_path, "migrate").stdout
    created = run(tmp_path, "orgs", "create", "Acme Learning", "--region", "local")
    assert "created organization acme-learning" in created.stdout
    assert "acme-learning\tlocal" in run(tmp_path, "orgs", "list").stdout
    user = run(
        tmp_path,
        "users",
        "create",
        "--org",
        "acme-learning",
        "--email",
        "ann@example.com",
        "--role",
        "author",
        "--group",
        "Authors",
        TUTELA_PASSWORD="a long enough password",
    )
    assert "as author in Authors" in user.stdout

    keys = run(tmp_path, "keys", "create", "--org", "Acme Learning")
    raw_key = keys.stdout.strip().splitlines()[-1]
    assert keys.stdout.strip() == raw_key  # the key alone on stdout; the explanation goes to stderr
    runtime = Runtime(Settings(data_dir=tmp_path))
    try:
        parsed = secrets.parse_token(raw_key)
        with runtime.region_session(parsed.org_id) as db:
            key = resources.authenticate_key(db, parsed=parsed, now=runtime.clock.now())
            assert key.org_id == parsed.org_id
    finally:
        runtime.close()

    verified = run(tmp_path, "audit", "verify", "--org", "acme-learning")
    assert verified.stdout.startswith("audit log intact: 3 entries")


def test_deployments_from_the_command_line_never_show_or_store_a_key_in_the_clear(tmp_path: Path) -> None:
    canary = "sk-canary-upstream-0123456789"
    run(tmp_path, "migrate")
    run(tmp_path, "orgs", "create", "Acme", "--region", "local")
    by_env = run(
        tmp_path, "deployments", "create", "--org", "acme", "--name", "gpt", "--provider", "openai",
        "--base-url", "http://127.0.0.1:9/v1", "--model", "gpt-4o-mini", "--api-key-env", "UPSTREAM_KEY",
        UPSTREAM_KEY=canary,
    )  # fmt: skip
    assert by_env.stdout.strip() == "created deployment gpt (openai, gpt-4o-mini)"
    sealed = subprocess.run(
        [*TUTELA, "deployments", "create", "--org", "acme", "--name", "azure", "--provider",
         "azure-openai", "--base-url", "http://127.0.0.1:9", "--model", "dep", "--api-version", "2024-10-21",
         "--api-key-stdin"],
        input=canary + "\n", capture_output=True, text=True, timeout=120,
        env={**os.environ, "TUTELA_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert sealed.returncode == 0, sealed.stderr
    listed = run(tmp_path, "deployments", "list", "--org", "acme").stdout.splitlines()
    assert "gpt\topenai\tgpt-4o-mini\tresource=default\tkey=env UPSTREAM_KEY\tpii=off" in listed
    assert "azure\tazure-openai\tdep\tresource=default\tkey=stored encrypted\tpii=off" in listed
    for done in (by_env, sealed):
        assert canary not in done.stdout + done.stderr
    for stored in (tmp_path / "regions" / "local").iterdir():  # databases with their -wal files
        assert canary.encode() not in stored.read_bytes(), stored
    unknown = run(tmp_path, "deployments", "create", "--org", "acme", "--name", "x", "--provider", "nope",
                  "--model", "m", ok=False)  # fmt: skip
    assert unknown.returncode != 0 and "'nope' is not one of" in unknown.stderr


def test_errors_are_one_line_with_exit_code_1_and_no_traceback(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    cases = [
        (("orgs", "create", "Nowhere", "--region", "mars"), "region 'mars' is not configured"),
        (("keys", "create", "--org", "no-such-org"), "organization"),
        (
            ("users", "create", "--org", "no-such-org", "--email", "a@example.com", "--password", "x" * 12),
            "not found",
        ),
    ]
    for args, expected in cases:
        done = run(tmp_path, *args, ok=False)
        assert done.returncode == 1
        assert expected in done.stderr
        assert "Traceback" not in done.stderr
    run(tmp_path, "orgs", "create", "Dup", "--region", "local")
    dup = run(tmp_path, "orgs", "create", "Dup", "--region", "local", ok=False)
    assert "already exists" in dup.stderr
    no_password = run(tmp_path, "users", "create", "--org", "dup", "--email", "b@example.com", ok=False)
    assert "no password given" in no_password.stderr


def test_serve_with_demo_starts_a_usable_service(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TUTELA_DATA_DIR": str(tmp_path),
        "TUTELA_DEMO_PASSWORD": "demo password 123",
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": "8192",
        "TUTELA_AUTH__ARGON2_TIME_COST": "1",
    }
    process = subprocess.Popen(
        [*TUTELA, "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("server did not come up")
            time.sleep(0.2)
        login = httpx.post(
            f"{base}/api/auth/login",
            json={
                "organization": "demo",
                "email": "author@demo.example.com",
                "password": "demo password 123",
            },
        )
        assert login.status_code == 200
        me = httpx.get(f"{base}/api/me", headers={"Authorization": f"Bearer {login.json()['token']}"})
        assert me.json()["roles"] == ["author"]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "Demo organization: demo" in output
    assert "demo password 123" in output  # printed so a newcomer can sign in


def test_users_and_staff_unlock_clear_failed_sign_ins_shared_through_the_data_dir(tmp_path: Path) -> None:
    from tutela.core.auth import signin
    from tutela.errors import AuthenticationFailed, TooManyAttempts

    password = "a long enough password"
    run(tmp_path, "migrate")
    run(tmp_path, "orgs", "create", "Lock Test", "--region", "local")
    run(
        tmp_path,
        "users",
        "create",
        "--org",
        "lock-test",
        "--email",
        "ann@example.com",
        TUTELA_PASSWORD=password,
    )
    run(tmp_path, "staff", "create", "--email", "ops@example.com", "--role", "operator", "--location", "EEA",
        TUTELA_PASSWORD=password)  # fmt: skip
    runtime = Runtime(Settings(data_dir=tmp_path, auth={"argon2_time_cost": 1, "argon2_memory_kib": 8192}))  # type: ignore[arg-type]
    user = {"organization": "lock-test", "email": "ann@example.com", "address": "192.0.2.7"}
    staff = {"email": "ops@example.com", "address": "192.0.2.8"}
    try:
        for _ in range(5):
            with pytest.raises(AuthenticationFailed):
                signin.sign_in_user(runtime, password="wrong password", **user)
            with pytest.raises(AuthenticationFailed):
                signin.sign_in_staff(runtime, password="wrong password", **staff)
        with pytest.raises(TooManyAttempts):
            signin.sign_in_user(runtime, password=password, **user)
        with pytest.raises(TooManyAttempts):
            signin.sign_in_staff(runtime, password=password, **staff)
        # Another process (the CLI) clears the counters this one wrote: both share data_dir/auth-failures.db.
        assert (
            "unlocked ann@example.com"
            in run(tmp_path, "users", "unlock", "--org", "lock-test", "--email", "Ann@example.com").stdout
        )
        assert (
            "unlocked ops@example.com"
            in run(tmp_path, "staff", "unlock", "--email", "ops@example.com").stdout
        )
        assert signin.sign_in_user(runtime, password=password, **user).token
        assert signin.sign_in_staff(runtime, password=password, **staff).token
        missing = run(
            tmp_path, "users", "unlock", "--org", "lock-test", "--email", "nobody@example.com", ok=False
        )
        assert missing.returncode == 1
        assert "no user with email" in missing.stderr
    finally:
        runtime.close()
