"""`tutela export` as a user runs it: a subprocess on a module.json, writing files and export-report.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.authoring.exports.checkers import parse_gift
from tests.authoring.exports.hostile import hostile_module


def _tutela(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tutela.cli", "export", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_export_writes_each_format_and_the_report(tmp_path: Path) -> None:
    source = tmp_path / "module.json"
    source.write_text(hostile_module().model_dump_json(), encoding="utf-8")
    out = tmp_path / "out"
    done = _tutela(str(source), "--out", str(out), "--format", "gift", "--format", "aiken")
    assert done.returncode == 0, done.stderr
    slug = "hostile-module-friends"
    assert sorted(p.name for p in out.iterdir()) == [
        "export-report.json",
        f"{slug}.aiken.txt",
        f"{slug}.gift.txt",
    ]
    lines = done.stdout.splitlines()
    assert lines[0] == f"{slug}.gift.txt: 5 of 5 questions"
    assert lines[1] == f"{slug}.aiken.txt: 2 of 5 questions"
    assert lines[2].startswith("  left out question 2 (multiple_choice): Aiken has only single-answer")
    reports = json.loads((out / "export-report.json").read_text(encoding="utf-8"))
    assert [r["format"] for r in reports] == ["gift", "aiken"]
    assert [o["question"] for o in reports[1]["omitted"]] == [2, 4, 5]
    assert len(parse_gift((out / f"{slug}.gift.txt").read_text(encoding="utf-8"))) == 5


def test_bad_input_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "x", "questions": "not a list"}', encoding="utf-8")
    done = _tutela(str(broken), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "is not a Tutela module.json" in done.stderr
    assert "Traceback" not in done.stderr
    good = tmp_path / "module.json"
    good.write_text(hostile_module().model_dump_json(), encoding="utf-8")
    done = _tutela(str(good), "--out", str(tmp_path / "out"), "--format", "scorm3")
    assert done.returncode == 1 and "unknown export format 'scorm3'" in done.stderr
