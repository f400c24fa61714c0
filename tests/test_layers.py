"""Dependencies point downward: web → authoring → gateway → core → storage.

Every import in the five layers' packages (at module level or inside a function) is read from the source;
an import of a higher layer fails the test. The top-level modules (`runtime`, `app`, `tasks`, the CLI…)
assemble the layers and may import any of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tutela

LAYERS = ("storage", "core", "gateway", "authoring", "web")
PACKAGE = Path(tutela.__file__).parent


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def upward_imports(package: Path) -> list[str]:
    """`path:line imports module` for every import of a higher layer."""
    problems = []
    for layer_index, layer in enumerate(LAYERS):
        for path in sorted((package / layer).rglob("*.py")):
            for line, module in _imports(path):
                parts = module.split(".")
                if parts[0] != "tutela" or len(parts) < 2 or parts[1] not in LAYERS:
                    continue
                if LAYERS.index(parts[1]) > layer_index:
                    problems.append(f"{path.relative_to(package)}:{line} imports {module}")
    return problems


def test_no_layer_imports_a_higher_one() -> None:
    assert upward_imports(PACKAGE) == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    for layer in LAYERS:
        (tmp_path / layer).mkdir()
    (tmp_path / "core" / "bad.py").write_text(
        "def f():\n    from tutela.gateway.resources import service\n", encoding="utf-8"
    )
    (tmp_path / "web" / "fine.py").write_text("from tutela.core import audit\n", encoding="utf-8")
    assert upward_imports(tmp_path) == ["core/bad.py:2 imports tutela.gateway.resources"]
