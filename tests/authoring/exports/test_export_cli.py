"""`tutela export` as a user runs it: a subprocess on a module.json, writing files and export-report.json, or
on several module files or a directory, writing one zip per format checked by the third-party checkers."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from lxml import etree

from tests.authoring.exports.checkers import package_errors, parse_gift
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


def _masteryscore(package: bytes) -> str | None:
    manifest = zipfile.ZipFile(io.BytesIO(package)).read("imsmanifest.xml")
    return etree.fromstring(manifest).findtext(".//{*}masteryscore")


def test_export_uses_the_module_pass_mark(tmp_path: Path) -> None:
    document = json.loads(hostile_module().model_dump_json())
    source = tmp_path / "module.json"
    source.write_text(json.dumps({**document, "pass_mark": 70}), encoding="utf-8")
    done = _tutela(str(source), "--out", str(tmp_path / "out"), "--format", "scorm12")
    assert done.returncode == 0, done.stderr
    assert _masteryscore((tmp_path / "out" / "hostile-module-friends.scorm12.zip").read_bytes()) == "70"
    source.write_text(json.dumps({**document, "pass_mark": 120}), encoding="utf-8")
    done = _tutela(str(source), "--out", str(tmp_path / "bad"))
    assert done.returncode == 1 and "pass_mark must be a whole percentage from 0 to 100" in done.stderr


def test_export_of_a_directory_writes_one_zip_per_format(tmp_path: Path) -> None:
    """An unzipped organization export: module.json with metadata.json (its pass mark) in each folder."""
    module = hostile_module()
    tree = tmp_path / "tutela-modules"
    for folder, pass_mark in (("001-first", 60), ("002-second", 90)):
        (tree / folder).mkdir(parents=True)
        (tree / folder / "module.json").write_text(module.model_dump_json(), encoding="utf-8")
        (tree / folder / "metadata.json").write_text(json.dumps({"pass_mark": pass_mark}), encoding="utf-8")
    out = tmp_path / "out"
    done = _tutela(
        str(tree), "--out", str(out), "--format", "scorm12", "--format", "aiken", "--format", "qti30"
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "tutela-modules.aiken.zip",
        "tutela-modules.qti30.zip",
        "tutela-modules.scorm12.zip",
    ]
    assert "  002-hostile-module-friends.aiken.txt: 2 of 5 questions" in done.stdout.splitlines()
    for fmt in ("scorm12", "aiken", "qti30"):
        archive = zipfile.ZipFile(io.BytesIO((out / f"tutela-modules.{fmt}.zip").read_bytes()))
        combined = json.loads(archive.read("export-report.json"))
        assert [m["pass_mark"] for m in combined["modules"]] == [60, 90]
        for entry in combined["modules"]:
            data = archive.read(entry["file"])
            assert package_errors(fmt, data, tmp_path, questions=entry["report"]["questions_exported"]) == []
        if fmt == "aiken":
            assert [[o["question"] for o in m["report"]["omitted"]] for m in combined["modules"]] == [
                [2, 4, 5]
            ] * 2
        if fmt == "scorm12":
            assert [_masteryscore(archive.read(m["file"])) for m in combined["modules"]] == ["60", "90"]


def test_export_of_several_files_at_the_default_pass_mark(tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    for path in (one, two):
        path.write_text(hostile_module().model_dump_json(), encoding="utf-8")
    out = tmp_path / "out"
    done = _tutela(str(one), str(two), "--out", str(out), "--format", "gift", "--format", "scorm12")
    assert done.returncode == 0, done.stderr
    scorm = zipfile.ZipFile(io.BytesIO((out / "tutela-modules.scorm12.zip").read_bytes()))
    packages = [n for n in scorm.namelist() if n.endswith(".scorm12.zip")]
    assert [_masteryscore(scorm.read(n)) for n in packages] == ["80", "80"]  # no pass mark given: 80%
    archive = zipfile.ZipFile(io.BytesIO((out / "tutela-modules.gift.zip").read_bytes()))
    assert sorted(archive.namelist()) == [
        "001-hostile-module-friends.gift.txt",
        "002-hostile-module-friends.gift.txt",
        "export-report.json",
    ]
    assert len(parse_gift(archive.read("002-hostile-module-friends.gift.txt").decode("utf-8"))) == 5
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _tutela(str(empty), "--out", str(tmp_path / "none"))
    assert done.returncode == 1 and "holds no module.json" in done.stderr
