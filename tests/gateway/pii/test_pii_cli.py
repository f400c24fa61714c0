"""`tutela deployments create --pii` and `tutela deployments pii --set`, in a real subprocess."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_cli import run


def test_set_on_create_changed_later_and_refused_for_the_built_in_model(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    run(tmp_path, "orgs", "create", "Acme", "--region", "local")
    run(
        tmp_path, "deployments", "create", "--org", "acme", "--name", "gpt", "--provider", "openai",
        "--base-url", "http://127.0.0.1:9/v1", "--model", "gpt-4o-mini", "--pii", "pseudonymise",
    )  # fmt: skip
    listed = run(tmp_path, "deployments", "list", "--org", "acme").stdout
    assert "gpt\topenai\tgpt-4o-mini\tresource=default\tkey=none\tpii=pseudonymise" in listed.splitlines()
    changed = run(tmp_path, "deployments", "pii", "--org", "acme", "--name", "gpt", "--set", "off")
    assert changed.stdout.strip() == "deployment gpt: pii off"
    assert "pii=off" in run(tmp_path, "deployments", "list", "--org", "acme").stdout
    refused = run(
        tmp_path, "deployments", "pii", "--org", "acme", "--name", "extractive", "--set", "pseudonymise",
        ok=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "the built-in model sends nothing off this machine" in refused.stderr
    assert "Traceback" not in refused.stderr
