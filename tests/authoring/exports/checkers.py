"""Third-party checkers of Tutela's LMS exports: the official XSDs (through lxml) and gift-pegjs (Node).

The npm packages are installed by scripts/lib/node_tools.sh into tests/node/node_modules; without them the
tests that need them are skipped locally and fail in CI (`CI` set), as the browser tests do.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

ROOT = Path(__file__).parents[3]
SCHEMAS = ROOT / "tests" / "fixtures" / "schemas"
NODE_TOOLS = ROOT / "tests" / "node"

QTI21_ITEM = SCHEMAS / "qti21" / "qtiv2p1" / "imsqti_v2p1.xsd"
QTI21_PACKAGE = SCHEMAS / "qti21" / "imscp_v1p1.xsd"
QTI30_ITEM = SCHEMAS / "qti30" / "qtiv3p0" / "imsqti_asiv3p0_sbacv1p0_v1p0.xsd"
QTI30_PACKAGE = SCHEMAS / "qti30" / "qtiv3p0" / "imsqtiv3p0_imscpv1p2_v1p0.xsd"


@cache
def schema(path: Path) -> etree.XMLSchema:
    """An official XSD, loaded once (its imports resolve to the files beside it, never the network)."""
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser))


def schema_errors(document: bytes, xsd: Path) -> list[str]:
    """What the XSD says is wrong with the document (empty when it is valid)."""
    checker = schema(xsd)
    if checker.validate(etree.fromstring(document)):
        return []
    return [f"{e.line}: {e.message}" for e in checker.error_log]


def require_node_tools() -> Path:
    """The installed npm test tools, else skip (locally) or fail (in CI)."""
    if shutil.which("node") and (NODE_TOOLS / "node_modules" / "gift-pegjs").is_dir():
        return NODE_TOOLS
    message = "npm test tools are missing (scripts/lib/node_tools.sh installs them)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def parse_gift(text: str) -> list[dict[str, Any]]:
    """The questions gift-pegjs reads from a GIFT file; AssertionError with its message on a syntax error."""
    tools = require_node_tools()
    done = subprocess.run(
        ["node", str(tools / "parse_gift.js")],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=tools,
    )
    assert done.returncode == 0, done.stderr
    parsed: list[dict[str, Any]] = json.loads(done.stdout)
    return parsed


SCORM_NAMESPACES = {
    "scorm12": {
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2": "scorm12/imscp_rootv1p1p2.xsd",
        "http://www.adlnet.org/xsd/adlcp_rootv1p2": "scorm12/adlcp_rootv1p2.xsd",
    },
    "scorm2004": {
        "http://www.w3.org/XML/1998/namespace": "scorm2004/xml.xsd",
        "http://www.imsglobal.org/xsd/imscp_v1p1": "scorm2004/imscp_v1p1.xsd",
        "http://www.adlnet.org/xsd/adlcp_v1p3": "scorm2004/adlcp_v1p3.xsd",
        "http://www.imsglobal.org/xsd/imsss": "scorm2004/imsss_v1p0.xsd",
        "http://www.adlnet.org/xsd/adlseq_v1p3": "scorm2004/adlseq_v1p3.xsd",
        "http://www.adlnet.org/xsd/adlnav_v1p3": "scorm2004/adlnav_v1p3.xsd",
    },
}


def scorm_manifest_schema(edition: str, folder: Path) -> Path:
    """One XSD that imports every namespace a SCORM manifest uses (the way an LMS's validator loads them),
    written into `folder`; the imported files are the official ones under tests/fixtures/schemas."""
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(SCHEMAS / path).as_uri()}"/>'
        for ns, path in SCORM_NAMESPACES[edition].items()
    )
    driver = folder / f"{edition}-manifest.xsd"
    driver.write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>', encoding="utf-8"
    )
    return driver


def package_errors(fmt: str, data: bytes, folder: Path, *, questions: int) -> list[str]:
    """What the third-party checkers say is wrong with one module's export in `fmt` holding `questions`
    questions (empty when valid): the official XSDs for the SCORM and QTI manifests, QTI items and
    cmi5.xml, gift-pegjs for GIFT, lxml's parser for Moodle XML (it has no official XSD)."""
    if fmt in ("scorm12", "scorm2004"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        return schema_errors(archive.read("imsmanifest.xml"), scorm_manifest_schema(fmt, folder))
    if fmt == "cmi5":
        structure = zipfile.ZipFile(io.BytesIO(data)).read("cmi5.xml")
        return schema_errors(structure, SCHEMAS / "cmi5" / "CourseStructure.xsd")
    found: int
    errors: list[str] = []
    if fmt in ("qti21", "qti30"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        package, item = (QTI21_PACKAGE, QTI21_ITEM) if fmt == "qti21" else (QTI30_PACKAGE, QTI30_ITEM)
        errors = schema_errors(archive.read("imsmanifest.xml"), package)
        items = [name for name in archive.namelist() if name.startswith("items/")]
        for name in items:
            errors += [f"{name}: {e}" for e in schema_errors(archive.read(name), item)]
        found = len(items)
    elif fmt == "gift":
        found = len(parse_gift(data.decode("utf-8")))
    elif fmt == "moodle_xml":
        quiz = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
        found = len([q for q in quiz.iter("question") if q.get("type") != "category"])
    else:
        assert fmt == "aiken", fmt
        found = len([block for block in data.decode("utf-8").split("\n\n") if block.strip()])
    if found != questions:
        errors.append(f"{fmt}: {found} questions in the file, {questions} in the report")
    return errors
