"""`tutela deployments content-filter`: external safety services from the command line, keys never shown
or stored in the clear (a real subprocess against a real data directory)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.core.test_cli import TUTELA, run

KEY = "azure-cs-cli-canary-0123456789"


def _set(data_dir: Path, document: dict[str, object]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TUTELA, "deployments", "content-filter", "--org", "acme", "--name", "extractive", "--set", "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TUTELA_DATA_DIR": str(data_dir)},
    )


def test_services_are_set_and_shown_from_the_command_line_keys_sealed(tmp_path: Path) -> None:
    run(tmp_path, "migrate")
    run(tmp_path, "orgs", "create", "Acme", "--region", "local")
    service = {
        "kind": "azure_content_safety",
        "name": "acs",
        "jurisdiction": "local",
        "endpoint": "https://acs.example.com",
        "api_key": KEY,
    }
    done = _set(tmp_path, {"services": [service]})
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["version"] == 1 and shown["sealed_keys"] == ["acs"]
    assert shown["settings"]["services"][0]["endpoint"] == "https://acs.example.com"
    again = run(tmp_path, "deployments", "content-filter", "--org", "acme", "--name", "extractive")
    assert json.loads(again.stdout) == shown
    for output in (done, again):
        assert KEY not in output.stdout + output.stderr
    for stored in (tmp_path / "regions" / "local").iterdir():  # databases with their -wal files
        assert KEY.encode() not in stored.read_bytes(), stored

    abroad = _set(tmp_path, {"services": [service | {"jurisdiction": "US"}]})
    assert (
        abroad.returncode == 1 and "region 'local' sends text for screening only to: local" in abroad.stderr
    )
    typo = _set(tmp_path, {"services": [service | {"timeout_seconds": -1}]})
    assert typo.returncode == 1 and "timeout_seconds" in typo.stderr and "Traceback" not in typo.stderr
    assert KEY not in abroad.stderr + typo.stderr
