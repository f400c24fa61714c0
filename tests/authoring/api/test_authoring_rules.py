"""Authoring gates and ownership: permissions, the AI switch, refused uploads, prompt injection, export and
deletion on the raw storage, and job progress followed on a real queue."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.authoring.api.support import (
    ENCRYPTED,
    INJECTION,
    TRACEMONKEY,
    assert_destroyed,
    count_rows,
    generate,
    new_org,
    object_ids_of_module,
    ok,
    raw_objects,
    upload,
    wait_for,
)
from tests.support.platform import Platform, running_platform
from tutela.authoring.ingest import PdfPasswordRequired
from tutela.authoring.ingest.exceptions import NotARecording


def test_learners_cannot_generate_and_ai_off_refuses_generation(platform: Platform) -> None:
    org = new_org(platform)
    with platform.client(org.admin) as admin, platform.client(org.learner) as learner:
        refused = learner.post(
            "/api/documents", files={"file": ("a.pdf", INJECTION.read_bytes(), "application/pdf")}
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_allowed"
        doc = ok(upload(admin, INJECTION), 201)
        assert learner.post("/api/modules", json={"document_id": doc["id"]}).status_code == 403
        assert learner.get("/api/prompts").status_code == 403
        # A learner may not use someone else's upload, even by id: it is not theirs to see.
        ok(admin.patch("/api/org", json={"ai_enabled": False}))
        off = admin.post("/api/modules", json={"document_id": doc["id"]})
        assert off.status_code == 403 and off.json()["error"]["code"] == "ai_disabled", off.text
        ok(admin.patch("/api/org", json={"ai_enabled": True}))
        job = ok(admin.post("/api/modules", json={"document_id": doc["id"]}), 202)
        assert wait_for(admin, job["id"])[0]["status"] == "succeeded"
        # The matrix decides: without ai.generate_modules an admin-granted author is refused too.
        ok(
            admin.put(
                "/api/org/permissions",
                json=[{"role": "author", "permission": "ai.generate_modules", "allowed": False}],
            )
        )
        with platform.client(org.author) as author:
            assert author.post("/api/modules", json={"document_id": doc["id"]}).status_code in (403, 404)
            assert upload(author, INJECTION).status_code == 403


def test_bad_uploads_are_refused_with_the_ingest_message(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = new_org(platform)
    with platform.client(org.author) as author:
        word = upload(author, Path("notes.docx"), data=b"PK\x03\x04 this is a zip, not a PDF")
        assert word.status_code == 400
        assert word.json()["error"] == {
            "message": NotARecording().message,
            "type": "invalid_request_error",
            "param": "file",
            "code": "unsupported_file",
        }
        locked = upload(author, ENCRYPTED)
        assert locked.status_code == 422 and locked.json()["error"]["code"] == "password_required"
        assert locked.json()["error"]["message"] == PdfPasswordRequired().message
        wrong = upload(author, ENCRYPTED, password="not the password")
        assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_password"
        monkeypatch.setenv("TUTELA_AUTHORING__MAX_UPLOAD_BYTES", str(1024 * 1024))
        big = upload(author, Path("big.pdf"), data=b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024 // 2))
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
        assert big.json()["error"]["message"] == "This PDF is 1.5 MB; the limit is 1 MB."
        assert ok(author.get("/api/documents")) == []  # nothing refused was kept
        with platform.runtime.region_of(org.org_id).db.session() as db:
            from sqlalchemy import text

            assert (
                db.execute(
                    text("SELECT count(*) FROM stored_objects WHERE org_id = :o"), {"o": org.org_id}
                ).scalar()
                == 0
            )


def test_instructions_inside_a_pdf_do_not_steer_the_module(platform: Platform) -> None:
    org = new_org(platform)
    with platform.client(org.author) as author:
        _, module_id = generate(author, INJECTION)
        module = ok(author.get(f"/api/modules/{module_id}"))
        text = json.dumps(module["content"]).casefold()
        assert "ignore" not in text and "system prompt" not in text and "previous instructions" not in text
        assert "badge" in text or "fire exits" in text  # the module is about the document's real content
        report = ok(author.get(f"/api/modules/{module_id}/checks"))
        assert report["errors"] == 0
        assert not [f for f in report["findings"] if f["rule"] == "instruction_in_text"]


def test_a_section_the_content_filter_refuses_is_left_out_and_named_in_the_job(platform: Platform) -> None:
    """An admin's blocklist term in one section: the job still succeeds, without that section's lesson, and
    its warnings say which pages were left out (never the text)."""
    org = new_org(platform)
    with platform.client(org.admin) as admin:
        ok(
            admin.post("/api/ai/blocklists", json={"name": "words", "items": [{"pattern": "subexpression"}]}),
            201,
        )
        resource = next(r for r in ok(admin.get("/api/ai/resources")) if r["name"] == "default")
        deployment = next(
            d
            for d in ok(admin.get(f"/api/ai/resources/{resource['id']}/deployments"))
            if d["name"] == "extractive"
        )
        harm_off = {c: "off" for c in ("hate", "sexual", "violence", "self_harm")}
        url = f"/api/ai/resources/{resource['id']}/deployments/{deployment['id']}/content-filter"
        ok(admin.put(url, json={"prompt": {"blocklists": ["words"]}, "completion": harm_off}))
    with platform.client(org.author) as author:
        doc = ok(upload(author, TRACEMONKEY), 201)
        job = ok(author.post("/api/modules", json={"document_id": doc["id"]}), 202)
        done, _ = wait_for(author, job["id"])
        assert done["status"] == "succeeded", done
        assert (
            "The lesson on pages 7-8 left out: the content filter refused its source text" in done["warnings"]
        )
        assert all("subexpression" not in w for w in done["warnings"])
        content = ok(author.get(f"/api/modules/{done['module_id']}"))["content"]
    lessons = [le["title"] for c in content["chapters"] for le in c["lessons"]]
    assert "5. Trace Tree Optimization" not in lessons and "6.1 Calling Compiled Traces" in lessons
    with platform.runtime.region_of(org.org_id).db.session() as db:  # the stored row, not only the API
        stored = db.execute(text("SELECT warnings FROM authoring_jobs WHERE id = :id"), {"id": job["id"]})
        raw = str(stored.scalar_one())
    assert "7-8" in raw and "subexpression" not in raw and "Trace Tree Optimization" not in raw


def test_export_zip_and_module_deletion_on_raw_storage(platform: Platform) -> None:
    org = new_org(platform)
    pdf = TRACEMONKEY.read_bytes()
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        doc_id, module_id = generate(author, TRACEMONKEY)
        _, second_id = generate(author, INJECTION)
        module = ok(author.get(f"/api/modules/{module_id}"))
        assert (
            author.get("/api/modules/export").status_code == 403
        )  # admins export the organization's modules
        exported = admin.get("/api/modules/export")
        assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(exported.content))
        names = set(archive.namelist())
        index = json.loads(archive.read("index.json"))
        assert "README.md" in names and [e["id"] for e in index] == [module_id, second_id]
        folder = index[0]["folder"]
        exported_module = json.loads(archive.read(f"{folder}/module.json"))
        assert exported_module == module["content"]
        assert all(q["answer"] and q["citation"]["quote"] for q in exported_module["questions"])
        markdown = archive.read(f"{folder}/module.md").decode()
        assert markdown.startswith(f"# {module['title']}") and "## Answer key" in markdown
        assert json.loads(archive.read(f"{folder}/metadata.json"))["deployment"] == "extractive"
        assert json.loads(archive.read(f"{folder}/checks.json"))["passed"] is True
        assert len(json.loads(archive.read(f"{folder}/source/extraction.json"))["pages"]) == 14
        assert archive.read(f"{folder}/{index[0]['source']['pdf']}") == pdf

        # Deleting the module deletes everything derived from it, keys first.
        ok(author.patch(f"/api/modules/{module_id}", json={"attach_source": True}))
        ids = object_ids_of_module(platform, org.org_id, module_id)
        assert all(ids.values()), ids
        raw = raw_objects(platform, org.org_id, [v for v in ids.values() if v])
        assert all(r.blob.exists() for r in raw)
        assert author.delete(f"/api/modules/{module_id}").status_code == 204
        assert_destroyed(platform, org.org_id, raw)
        for table, column, value in (
            ("authoring_modules", "id", module_id),
            ("authoring_check_reports", "module_id", module_id),
            ("authoring_module_groups", "module_id", module_id),
            ("authoring_attempts", "module_id", module_id),
            ("authoring_jobs", "module_id", module_id),
            ("authoring_documents", "id", doc_id),
            ("authoring_jobs", "document_id", doc_id),
        ):
            assert count_rows(platform, org.org_id, table, column, value) == 0, table
        assert author.get(f"/api/modules/{module_id}").status_code == 404
        assert author.get(f"/api/documents/{doc_id}/file").status_code == 404
        # The other module is untouched.
        assert ok(author.get(f"/api/modules/{second_id}"))["content"]["chapters"]


def test_generation_progress_on_a_real_queue(tmp_path: Path) -> None:
    """With the SQLite queue and its in-process consumer, the job is followed from queued to done."""
    with running_platform("sqlite", tmp_path, jobs={"backend": "sqlite", "workers": 1}) as platform:
        org = new_org(platform)
        with platform.client(org.author) as author:
            doc = ok(upload(author, TRACEMONKEY), 201)
            job = ok(author.post("/api/modules", json={"document_id": doc["id"]}), 202)
            done, seen = wait_for(author, job["id"])
    assert done["status"] == "succeeded" and done["module_id"]
    percents = [p for _, p in seen]
    assert percents == sorted(percents), seen
    stages = [s for s, _ in seen]
    assert stages[-1] == "done" and percents[-1] == 100
    assert any(0 < p < 100 for p in percents), seen
    assert len({s for s in stages if s not in ("queued", "done")}) >= 2, seen  # e.g. lessons, questions
