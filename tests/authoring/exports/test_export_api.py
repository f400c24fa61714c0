"""GET /api/modules/{id}/export over real HTTP, on SQLite and PostgreSQL: a generated module in every
format, valid for the official checkers; who may export; bad formats; the audit entry."""

from __future__ import annotations

import io
import json
import zipfile

from tests.authoring.api.support import INJECTION, generate, new_org, ok
from tests.authoring.exports.checkers import QTI21_ITEM, QTI21_PACKAGE, parse_gift, schema_errors
from tests.support.platform import Platform


def test_a_generated_module_exports_in_every_format(platform: Platform) -> None:
    org = new_org(platform, "Export")
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        _, module_id = generate(author, INJECTION)
        module = ok(author.get(f"/api/modules/{module_id}"))
        total = len(module["content"]["questions"])
        assert total > 0
        downloads = {}
        for fmt in ("scorm12", "scorm2004", "cmi5", "qti21", "qti30", "moodle_xml", "gift", "aiken"):
            response = author.get(f"/api/modules/{module_id}/export", params={"format": fmt})
            assert response.status_code == 200, response.text
            report = json.loads(response.headers["x-tutela-export-report"])
            assert report["format"] == fmt and report["questions_total"] == total
            assert report["questions_exported"] + len(report["omitted"]) == total
            assert response.headers["content-disposition"].startswith("attachment; filename=")
            downloads[fmt] = response
        qti = zipfile.ZipFile(io.BytesIO(downloads["qti21"].content))
        assert schema_errors(qti.read("imsmanifest.xml"), QTI21_PACKAGE) == []
        for name in qti.namelist():
            if name.startswith("items/"):
                assert schema_errors(qti.read(name), QTI21_ITEM) == [], name
        assert downloads["moodle_xml"].headers["content-type"].startswith("application/xml")
        assert len(parse_gift(downloads["gift"].text)) == total
        entries = ok(admin.get("/api/audit", params={"action": "module.exported"}))
        assert sorted(e["details"]["format"] for e in entries) == sorted(downloads)
        assert {e["target"] for e in entries} == {f"module:{module_id}"}


def test_only_those_who_see_the_answer_key_export_and_formats_are_checked(platform: Platform) -> None:
    org = new_org(platform, "Export rights")
    other = new_org(platform, "Export other")
    with platform.client(org.author) as author:
        _, module_id = generate(author, INJECTION)
        url = f"/api/modules/{module_id}/export"
        unknown = author.get(url, params={"format": "scorm3"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["message"].startswith(
            "unknown export format 'scorm3'; use one of: scorm12, scorm2004, cmi5, qti21"
        )
        assert author.get(url).status_code == 400  # no format given
    with platform.client(org.learner) as learner:  # a draft is not the learner's to see
        assert learner.get(url, params={"format": "gift"}).status_code == 404
    with platform.client(other.admin) as stranger:  # another organization's id is not found
        assert stranger.get(url, params={"format": "gift"}).status_code == 404
