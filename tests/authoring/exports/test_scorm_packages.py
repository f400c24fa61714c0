"""SCORM 1.2, 2004 and cmi5 packages: manifests valid against the official XSDs, a player that needs nothing
from outside the zip, the module inside it exactly as written (tests/e2e/test_scorm_runtime.py runs it)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from tests.authoring.exports.checkers import SCHEMAS, schema_errors, scorm_manifest_schema
from tests.authoring.exports.hostile import hostile_module
from tutela.authoring.exports import export_module


@pytest.mark.parametrize("edition", ["scorm12", "scorm2004"])
def test_scorm_package_is_valid_and_self_contained(edition: str, tmp_path: Path) -> None:
    module = hostile_module()
    export = export_module(module, format_name=edition)
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    names = set(archive.namelist())
    manifest = archive.read("imsmanifest.xml")
    assert schema_errors(manifest, scorm_manifest_schema(edition, tmp_path)) == []
    listed = {f.get("href") for f in etree.fromstring(manifest).iter("{*}file")}
    assert listed == names - {"imsmanifest.xml"}  # every file the SCO uses is declared, and is there
    page = html.fromstring(archive.read("index.html"))
    references = [e.get("src") or e.get("href") for e in page.iter() if e.get("src") or e.get("href")]
    assert references and all(r in names for r in references)  # nothing loaded from outside the zip
    for script in [n for n in names if n.endswith(".js")]:
        assert not re.search(
            r"https?://|fetch\(|XMLHttpRequest|innerHTML", archive.read(script).decode("utf-8")
        )
    data = json.loads(page.get_element_by_id("module-data").text)
    assert data["standard"] == edition and data["passMark"] == 0.8
    assert [q["stem"] for q in data["questions"]] == [q.stem for q in module.questions]
    # The stem's own "</script>" is escaped: only the real script elements close.
    page_text = archive.read("index.html").decode("utf-8")
    assert page_text.count("</script>") == page_text.count("<script") == 3
    assert export.report.questions_exported == len(module.questions) and export.report.omitted == []


def test_cmi5_course_structure_is_valid_and_names_the_au() -> None:
    module = hostile_module()
    export = export_module(module, format_name="cmi5")
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    structure = archive.read("cmi5.xml")
    assert schema_errors(structure, SCHEMAS / "cmi5" / "CourseStructure.xsd") == []
    au = etree.fromstring(structure).find("{*}au")
    assert au is not None and au.findtext("{*}url") == "index.html"
    assert au.get("moveOn") == "CompletedAndPassed" and au.get("masteryScore") == "0.8"
    page = html.fromstring(archive.read("index.html"))
    references = [e.get("src") or e.get("href") for e in page.iter() if e.get("src") or e.get("href")]
    assert set(references) == {"player.css", "cmi5.js", "player.js"} <= set(archive.namelist())
    assert json.loads(page.get_element_by_id("module-data").text)["standard"] == "cmi5"


@pytest.mark.parametrize("pass_mark", [0, 65, 100])
def test_the_packages_carry_the_module_pass_mark(pass_mark: int, tmp_path: Path) -> None:
    module = hostile_module()
    scaled = pass_mark / 100
    for edition in ("scorm12", "scorm2004"):
        export = export_module(module, format_name=edition, pass_mark=pass_mark)
        archive = zipfile.ZipFile(io.BytesIO(export.data))
        manifest = archive.read("imsmanifest.xml")
        assert schema_errors(manifest, scorm_manifest_schema(edition, tmp_path)) == []
        root = etree.fromstring(manifest)
        if edition == "scorm12":
            assert root.findtext(".//{*}masteryscore") == str(pass_mark)
        else:
            assert root.find(".//{*}primaryObjective").get("satisfiedByMeasure") == "true"
            assert float(root.findtext(".//{*}minNormalizedMeasure") or "nan") == scaled
        data = json.loads(html.fromstring(archive.read("index.html")).get_element_by_id("module-data").text)
        assert data["passMark"] == scaled
        assert export.report.notes == [f"Pass mark {pass_mark}% unless the LMS sets its own."]
    cmi5 = zipfile.ZipFile(io.BytesIO(export_module(module, format_name="cmi5", pass_mark=pass_mark).data))
    structure = cmi5.read("cmi5.xml")
    assert schema_errors(structure, SCHEMAS / "cmi5" / "CourseStructure.xsd") == []
    assert float(etree.fromstring(structure).find("{*}au").get("masteryScore")) == scaled
