"""`pip install .` is a working product: the runtime imports only what pyproject.toml declares, the
embedding model ships in the package, `tutela doctor` reports every component, and an installation whose
model files are missing or damaged says so — 503 with the reason on the gateway, a failed line in
`tutela doctor` — instead of a 500 or a silent fallback.

The broken installations are real: a copy of the `tutela` package with the model file removed or cut
short, run in child processes (`tutela` CLI and a `tutela serve` on loopback) ahead of the real one.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import tutela
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(tutela.__file__).parent
MODEL = Path("gateway/providers/extractive/minilm/model.safetensors")
CONTEXT = "The Rhine flows through Basel. Basel lies on the border of three countries. Bern is the capital."
ASK = {"role": "user", "content": "Where is Basel?"}


def _imported_top_level_modules() -> set[str]:
    """Top-level modules the runtime package imports (not under TYPE_CHECKING)."""
    found: set[str] = set()
    for file in PACKAGE.rglob("*.py"):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        typing_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for stmt in block.body
            for n in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("tutela", "__future__")}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_pyproject_declares_every_distribution_the_runtime_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_normalize(re.split(r"[\[<>=!~; ]", d, maxsplit=1)[0]) for d in project["dependencies"]}
    owners = importlib.metadata.packages_distributions()
    modules = _imported_top_level_modules()
    assert {"fastapi", "numpy", "onnxruntime"} <= modules  # the scan sees the imports at all
    undeclared = {
        module: owners.get(module)
        for module in modules
        if not any(_normalize(dist) in declared for dist in owners.get(module, [module]))
    }
    assert not undeclared, f"imported by src/tutela but not declared in pyproject.toml: {undeclared}"


def test_the_embedding_model_ships_in_the_package_data() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "**/*.safetensors" in data["tutela"]
    folder = PACKAGE / MODEL.parent
    assert (folder / "model.safetensors").stat().st_size > 80_000_000
    assert {"tokenizer.json", "LICENSE.txt", "README.md"} <= {p.name for p in folder.iterdir()}
    assert "Apache License" in (folder / "LICENSE.txt").read_text()


def _env(data_dir: Path, package_root: Path | None = None) -> dict[str, str]:
    paths = ([str(package_root)] if package_root else []) + sys.path
    return os.environ | {
        "PYTHONPATH": os.pathsep.join(paths),
        "TUTELA_DATA_DIR": str(data_dir),
        "TUTELA_PASSWORD": "correct horse battery staple",
        "TUTELA_AUTH__ARGON2_TIME_COST": "1",
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": "8192",
    }


def _tutela(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from tutela.cli import main; sys.argv[0] = 'tutela'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two copies of the package: the model file missing, and cut short."""
    roots = {}
    for kind in ("missing", "damaged"):
        root = tmp_path_factory.mktemp(f"install-{kind}")
        shutil.copytree(
            PACKAGE, root / "tutela", ignore=shutil.ignore_patterns("__pycache__", "*.safetensors")
        )
        if kind == "damaged":
            with (PACKAGE / MODEL).open("rb") as whole:
                (root / "tutela" / MODEL).write_bytes(whole.read(1_000_000))
        roots[kind] = root
    return roots


def test_doctor_reports_every_component(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _tutela(env, "migrate").returncode == 0
    done = _tutela(env, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {line.split("  ")[0].strip(): line for line in done.stdout.splitlines()}
    for name in (
        "embedding model",
        "safety classifier",
        "NLP models",
        "speech model",
        "person name lists",
        "directory database",
        "region local: database",
        "region local: key store",
        "region local: blob store",
        "jobs backend",
    ):
        assert name in lines, done.stdout
    assert " ok " in lines["embedding model"] and "SHA-256" in lines["embedding model"]
    assert re.search(r"NLP models\s+(ok|absent)", lines["NLP models"])
    assert " ok " in lines["speech model"] and "SHA-256" in lines["speech model"]
    assert " ok " in lines["person name lists"] and "SHA-256" in lines["person name lists"]


@pytest.mark.parametrize(("kind", "reason"), [("missing", "cannot read"), ("damaged", "integrity check")])
def test_doctor_names_a_broken_model(broken: dict[str, Path], tmp_path: Path, kind: str, reason: str) -> None:
    done = _tutela(_env(tmp_path, broken[kind]), "doctor")
    assert done.returncode == 1
    line = next(line for line in done.stdout.splitlines() if line.startswith("embedding model"))
    assert "failed" in line and reason in line and "reinstall Tutela" in line
    assert "1 component(s) failed: embedding model" in done.stderr


@contextmanager
def _serving(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tutela.cli import main; sys.argv[0] = 'tutela'; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
        env["SERVER_LOG"] = output


def test_a_missing_model_answers_503_with_the_reason(broken: dict[str, Path], tmp_path: Path) -> None:
    env = _env(tmp_path, broken["missing"])
    assert _tutela(env, "migrate").returncode == 0
    created = _tutela(env, "orgs", "create", "Broken", "--region", "local", "--admin-email", "a@example.com")
    assert created.returncode == 0, created.stderr
    key = _tutela(env, "keys", "create", "--org", "broken")
    assert key.returncode == 0, key.stderr
    token = key.stdout.strip().splitlines()[-1]
    with _serving(env) as base:
        headers = {"Authorization": f"Bearer {token}"}
        embedded = httpx.post(
            f"{base}/v1/embeddings",
            json={"model": "extractive", "input": "hello"},
            headers=headers,
            timeout=60,
        )
        chat = httpx.post(
            f"{base}/v1/chat/completions",
            json={"model": "extractive", "messages": [{"role": "system", "content": CONTEXT}, ASK]},
            headers=headers,
            timeout=60,
        )
    for response in (embedded, chat):
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "model_unavailable" and error["type"] == "service_unavailable_error"
        assert "cannot read embedding model file" in error["message"] and "tutela doctor" in error["message"]
        assert response.headers["x-request-id"]
    assert "embedding model: failed" in env["SERVER_LOG"], "serve names the broken component at start"
