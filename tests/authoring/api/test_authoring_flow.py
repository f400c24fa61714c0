"""The main job over HTTP: upload → generation job → grounded draft → checks → review → publish → quiz.

Visibility (L5) and the attachment (L6) are checked with three people: the author, a learner in the group
the module is published to, and a learner outside it.
"""

from __future__ import annotations

from typing import Any

from tests.authoring.api.support import (
    TRACEMONKEY,
    assert_destroyed,
    new_org,
    object_ids_of_module,
    ok,
    raw_objects,
    upload,
    wait_for,
)
from tests.support.platform import Platform
from tutela.authoring.generation.checks import quote_in_text
from tutela.authoring.ingest import IngestLimits, extract_pdf


def _answers(content: dict[str, Any]) -> list[list[str]]:
    return [
        q["answer"][:1] if q["type"] in ("fill_in_blank", "short_answer") else q["answer"]
        for q in content["questions"]
    ]


def test_upload_generate_review_publish_and_take_the_quiz(platform: Platform) -> None:
    org = new_org(platform)
    pdf = TRACEMONKEY.read_bytes()
    source = extract_pdf(pdf, limits=IngestLimits())
    admin, author = platform.client(org.admin), platform.client(org.author)
    learner, outsider = platform.client(org.learner), platform.client(org.outsider)

    # An admin writes a prompt template; every module records the version that produced it.
    template = ok(
        admin.post(
            "/api/prompts",
            json={"name": "Onboarding", "audience": "new engineers", "tone": "plain", "question_count": 8},
        ),
        201,
    )
    template = ok(admin.post(f"/api/prompts/{template['id']}/versions", json={"question_count": 7}), 201)
    assert template["current_version"] == 2 and template["versions"] == [1, 2]
    assert ok(author.post("/api/prompts", json={"name": "x"}), 403) is not None  # authors cannot edit prompts

    doc = ok(upload(author, TRACEMONKEY), 201)
    assert doc["page_count"] == 14 and doc["has_pdf"] is True
    job = ok(author.post("/api/modules", json={"document_id": doc["id"], "template_id": template["id"]}), 202)
    assert job["status"] == "queued" and job["percent"] == 0
    done, _ = wait_for(author, job["id"])
    assert done["status"] == "succeeded" and done["percent"] == 100 and done["stage"] == "done", done["error"]
    module_id = done["module_id"]

    module = ok(author.get(f"/api/modules/{module_id}"))
    assert module["state"] == "draft"
    assert (module["template_id"], module["template_version"]) == (template["id"], 2)
    assert module["deployment"] == "extractive" and module["model"] == "extractive"
    content = module["content"]
    assert content["chapters"] and len(content["questions"]) >= 5
    for chapter in content["chapters"]:
        for lesson in chapter["lessons"]:
            assert lesson["citations"]
            for citation in lesson["citations"]:
                assert quote_in_text(citation["quote"], source.pages[citation["page"] - 1].text)
    for q in content["questions"]:
        assert quote_in_text(q["citation"]["quote"], source.pages[q["citation"]["page"] - 1].text)

    report = ok(author.get(f"/api/modules/{module_id}/checks"))
    assert report["passed"] is True and report["errors"] == 0, report["findings"]
    assert {n["check"]: n["status"] for n in report["notes"]}["grounding"] == "passed"
    assert {n["check"] for n in report["notes"]} == {"grounding", "safety", "conformity"}

    # Regenerate one question and one chapter; the draft stays grounded.
    before = content["questions"][0]["stem"]
    regenerated = ok(author.post(f"/api/modules/{module_id}/questions/0/regenerate", json={}))
    assert regenerated["content"]["questions"][0]["stem"] != before
    assert regenerated["checks_passed"] is True
    chapter = ok(author.post(f"/api/modules/{module_id}/chapters/0/regenerate", json={}))
    assert chapter["content"]["chapters"][0]["lessons"] and chapter["checks_passed"] is True

    # An edit that cites a sentence the source does not have fails the checks ...
    bad = dict(chapter["content"]["questions"][1])
    bad["citation"] = {"page": 1, "quote": "Tracing JITs were invented in 1850 by Ada Lovelace."}
    edited = ok(author.put(f"/api/modules/{module_id}/questions/1", json=bad))
    assert edited["checks_passed"] is False
    findings = ok(author.get(f"/api/modules/{module_id}/checks"))["findings"]
    assert any(f["rule"] == "quote_not_found" and f["location"] == "questions[1].citation" for f in findings)

    # ... so it cannot be published: not by the author, not by an admin without a written reason.
    ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
    publish = {"state": "published", "group_ids": [org.sales_id]}
    assert (
        ok(author.post(f"/api/modules/{module_id}/state", json=publish), 403)["error"]["code"]
        == "not_allowed"
    )
    assert (
        ok(admin.post(f"/api/modules/{module_id}/state", json=publish), 409)["error"]["code"]
        == "checks_failed"
    )
    assert learner.get(f"/api/modules/{module_id}").status_code == 404  # not published yet

    # Fixing the question (back to draft, edit, review) lets the checks pass again.
    ok(author.post(f"/api/modules/{module_id}/state", json={"state": "draft"}))
    fixed = ok(author.put(f"/api/modules/{module_id}/questions/1", json=chapter["content"]["questions"][1]))
    assert fixed["checks_passed"] is True
    ok(author.patch(f"/api/modules/{module_id}", json={"title": "TraceMonkey basics", "attach_source": True}))
    ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
    published = ok(admin.post(f"/api/modules/{module_id}/state", json=publish))
    assert published["state"] == "published" and published["group_ids"] == [org.sales_id]
    assert published["override_reason"] is None

    # The learner in Sales sees it, without the answer key, takes the quiz, and gets the source PDF.
    assert [m["id"] for m in ok(learner.get("/api/modules"))] == [module_id]
    seen = ok(learner.get(f"/api/modules/{module_id}"))
    assert seen["title"] == "TraceMonkey basics" and seen["attachment_available"] is True
    assert all("answer" not in q and "explanation" not in q for q in seen["content"]["questions"])
    assert seen["document_id"] is None and seen["group_ids"] == []
    answers = _answers(fixed["content"])
    attempt = ok(learner.post(f"/api/modules/{module_id}/attempts", json={"answers": answers}), 201)
    assert attempt["score"] == 1.0 and attempt["correct"] == attempt["total"] == len(answers)
    wrong = [["certainly not this"] for _ in answers]
    assert (
        ok(learner.post(f"/api/modules/{module_id}/attempts", json={"answers": wrong}), 201)["score"] == 0.0
    )
    mine = ok(learner.get(f"/api/modules/{module_id}/attempts"))
    assert [a["score"] for a in mine] == [1.0, 0.0] and {a["user_id"] for a in mine} == {org.learner_id}
    assert len(ok(author.get(f"/api/modules/{module_id}/attempts"))) == 2  # the author sees everyone's
    download = learner.get(f"/api/modules/{module_id}/attachment")
    assert download.status_code == 200 and download.content == pdf
    assert learner.get(f"/api/documents/{doc['id']}/file").content == pdf
    assert learner.get(f"/api/modules/{module_id}/checks").status_code == 403  # learners see no report

    # The learner outside Sales gets 404 for the module, its quiz and its PDF, as for ids that do not exist.
    assert ok(outsider.get("/api/modules")) == []
    for path in (
        f"/api/modules/{module_id}",
        f"/api/modules/{module_id}/attachment",
        f"/api/documents/{doc['id']}/file",
        f"/api/documents/{doc['id']}",
    ):
        response = outsider.get(path)
        assert response.status_code == 404, (path, response.text)
        assert pdf[:200] not in response.content
    assert outsider.post(f"/api/modules/{module_id}/attempts", json={"answers": answers}).status_code == 404

    # L6: the author deletes the PDF: the file is gone and its key destroyed, on the raw storage.
    raw = raw_objects(
        platform, org.org_id, [object_ids_of_module(platform, org.org_id, module_id)["pdf"] or ""]
    )
    assert raw[0].blob.exists() and pdf not in raw[0].blob.read_bytes()  # control: ciphertext only
    assert learner.delete(f"/api/modules/{module_id}/attachment").status_code == 403  # not theirs to delete
    assert author.delete(f"/api/modules/{module_id}/attachment").status_code == 204
    assert_destroyed(platform, org.org_id, raw)
    gone = learner.get(f"/api/modules/{module_id}/attachment")
    assert gone.status_code in (404, 409) and gone.content != pdf
    assert author.get(f"/api/documents/{doc['id']}/file").json()["error"]["code"] == "source_deleted"
    assert ok(learner.get(f"/api/modules/{module_id}"))["attachment_available"] is False
    # The module itself still works: the extraction stays for checks and regeneration.
    assert ok(author.get(f"/api/modules/{module_id}/checks"))["passed"] is True

    audit = ok(admin.get("/api/audit?limit=1000"))
    actions = [e["action"] for e in (audit["entries"] if isinstance(audit, dict) else audit)]
    for action in (
        "document.uploaded",
        "module.state_changed",
        "module.source_pdf_deleted",
        "prompt.versioned",
    ):
        assert action in actions, action
    for client in (admin, author, learner, outsider):
        client.close()


def test_an_admin_may_publish_failing_checks_only_with_a_written_reason_which_is_audited(
    platform: Platform,
) -> None:
    org = new_org(platform)
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        doc = ok(upload(author, TRACEMONKEY), 201)
        done, _ = wait_for(
            author, ok(author.post("/api/modules", json={"document_id": doc["id"]}), 202)["id"]
        )
        module_id = done["module_id"]
        module = ok(author.get(f"/api/modules/{module_id}"))
        content = module["content"]
        content["chapters"][0]["lessons"][0]["citations"][0]["quote"] = "A sentence that is not in the paper."
        assert ok(author.put(f"/api/modules/{module_id}/content", json=content))["checks_passed"] is False
        ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        publish: dict[str, Any] = {"state": "published", "group_ids": [org.sales_id], "override_reason": "  "}
        assert admin.post(f"/api/modules/{module_id}/state", json=publish).status_code == 409
        # A coach may publish, but not override failing checks.
        coach_body = {
            "email": "coach@example.com",
            "password": "correct horse battery staple",
            "role": "coach",
        }
        ok(admin.post("/api/users", json=coach_body), 201)
        with platform.client(platform.login(org.slug, "coach@example.com")) as coach:
            publish["override_reason"] = "Reviewed by hand"
            assert (
                ok(coach.post(f"/api/modules/{module_id}/state", json=publish), 403)["error"]["code"]
                == "admin_only"
            )
        reason = "Citation reworded by the author; checked against page 1 by hand."
        publish["override_reason"] = reason
        published = ok(admin.post(f"/api/modules/{module_id}/state", json=publish))
        assert published["state"] == "published" and published["override_reason"] == reason
        audit = ok(admin.get("/api/audit?limit=1000"))
        entries = audit["entries"] if isinstance(audit, dict) else audit
        overrides = [e for e in entries if e["action"] == "module.publish_override"]
        assert len(overrides) == 1 and overrides[0]["details"]["reason"] == reason
        assert overrides[0]["target"] == f"module:{module_id}"
        ok(admin.post(f"/api/modules/{module_id}/state", json={"state": "archived"}))
        with platform.client(org.learner) as learner:
            assert learner.get(f"/api/modules/{module_id}").status_code == 404  # archived: gone for learners
