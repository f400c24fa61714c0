"""GET /api/modules/export?format=… over real HTTP, on SQLite and PostgreSQL: every module of the organization
in each LMS format, one file per module at the module's own pass mark, valid for the third-party checkers,
with one combined report of what each file leaves out; the JSON export unchanged without `format`."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from lxml import etree

from tests.authoring.api.support import INJECTION, generate, new_org, ok
from tests.authoring.exports.checkers import package_errors
from tests.support.platform import Platform
from tutela.authoring.exports import FORMATS


def test_the_organization_exports_every_module_in_each_lms_format(platform: Platform, tmp_path: Path) -> None:
    org = new_org(platform, "Bulk export")
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        first = generate(author, INJECTION)[1]
        second = generate(author, INJECTION)[1]
        ok(author.patch(f"/api/modules/{second}", json={"pass_mark": 65}))
        totals = [len(ok(author.get(f"/api/modules/{m}"))["content"]["questions"]) for m in (first, second)]
        for fmt in FORMATS:
            response = admin.get("/api/modules/export", params={"format": fmt})
            assert response.status_code == 200, response.text
            assert (
                response.headers["content-disposition"] == f'attachment; filename="tutela-modules.{fmt}.zip"'
            )
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            combined = json.loads(archive.read("export-report.json"))
            assert combined["format"] == fmt
            files = [entry["file"] for entry in combined["modules"]]
            assert sorted(archive.namelist()) == sorted([*files, "export-report.json"])
            assert [f[:4] for f in files] == ["001-", "002-"] and all(
                f.endswith(FORMATS[fmt].suffix) for f in files
            )
            assert [entry["pass_mark"] for entry in combined["modules"]] == [80, 65]
            for entry, total in zip(combined["modules"], totals, strict=True):
                report = entry["report"]
                assert report["format"] == fmt and report["questions_total"] == total
                assert report["questions_exported"] + len(report["omitted"]) == total
                data = archive.read(entry["file"])
                assert package_errors(fmt, data, tmp_path, questions=report["questions_exported"]) == [], (
                    entry
                )
            if fmt == "scorm12":
                marks = [
                    etree.fromstring(
                        zipfile.ZipFile(io.BytesIO(archive.read(f))).read("imsmanifest.xml")
                    ).findtext(".//{*}masteryscore")
                    for f in files
                ]
                assert marks == ["80", "65"]
        entries = ok(admin.get("/api/audit", params={"action": "modules.exported"}))
        assert sorted(e["details"]["format"] for e in entries) == sorted(FORMATS)
        assert {e["target"] for e in entries} == {f"org:{org.org_id}"}


def test_the_bulk_export_is_for_admins_and_checks_the_format(platform: Platform) -> None:
    org = new_org(platform, "Bulk rights")
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        generate(author, INJECTION)
        assert author.get("/api/modules/export", params={"format": "gift"}).status_code == 403
        unknown = admin.get("/api/modules/export", params={"format": "scorm3"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["message"].startswith("unknown export format 'scorm3'")
        plain = zipfile.ZipFile(io.BytesIO(admin.get("/api/modules/export").content))  # JSON and Markdown
        assert "index.json" in plain.namelist()
        (folder,) = {name.split("/")[0] for name in plain.namelist() if "/" in name}
        assert json.loads(plain.read(f"{folder}/metadata.json"))["pass_mark"] == 80
