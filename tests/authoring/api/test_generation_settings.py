"""Generation over HTTP as an organization sets it up: its document screening, its template's counts and
types, and an `openai` deployment on a loopback LLM that fails the way real ones do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.authoring.api.support import TRACEMONKEY, TRACEMONKEY_SET_ASIDE, new_org, ok, upload, wait_for
from tests.authoring.generation.fake_llm import FakeLLM
from tests.support.platform import Platform

HARM_OFF = {c: "off" for c in ("hate", "sexual", "violence", "self_harm")}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM.running() as fake:
        yield fake


def _job(client: Any, **body: Any) -> dict[str, Any]:
    doc = ok(upload(client, TRACEMONKEY), 201)
    job = ok(client.post("/api/modules", json={"document_id": doc["id"], **body}), 202)
    done, _ = wait_for(client, job["id"], timeout=120)
    return done


def test_admins_set_how_strictly_authoring_screens_documents(platform: Platform) -> None:
    org = new_org(platform)
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        assert ok(admin.get("/api/org"))["authoring_document_filter"] == "high"
        assert (
            ok(admin.patch("/api/org", json={"authoring_document_filter": "medium"}))[
                "authoring_document_filter"
            ]
            == "medium"
        )
        assert ok(admin.get("/api/org"))["authoring_document_filter"] == "medium"
        bad = ok(admin.patch("/api/org", json={"authoring_document_filter": "strict"}), 422)
        assert "authoring_document_filter" in str(bad["error"]["param"]), bad
        ok(author.patch("/api/org", json={"authoring_document_filter": "off"}), 403)
        assert ok(admin.get("/api/org"))["authoring_document_filter"] == "medium"
        entries = ok(admin.get("/api/audit"))
        items = entries["items"] if isinstance(entries, dict) else entries
        changed = [e for e in items if e["action"] == "org.authoring_document_filter_changed"]
        assert [e["details"] for e in changed] == [{"authoring_document_filter": "medium"}]


def test_a_template_asking_for_7_multiple_choice_questions_gets_them(platform: Platform) -> None:
    org = new_org(platform)
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        body = {"name": "Quiz", "question_count": 7, "question_types": ["multiple_choice"]}
        template = ok(admin.post("/api/prompts", json=body), 201)
        done = _job(author, template_id=template["id"])
        assert done["status"] == "succeeded", done
        content = ok(author.get(f"/api/modules/{done['module_id']}"))["content"]
    assert [q["type"] for q in content["questions"]] == ["multiple_choice"] * 7
    assert not [w for w in done["warnings"] if "questions asked for" in w], done["warnings"]


def _gpt(platform: Platform, admin: Any, llm: FakeLLM) -> None:
    """An `openai` deployment named gpt on the loopback LLM, harm filters off (not the subject here)."""
    resource = next(r for r in ok(admin.get("/api/ai/resources")) if r["name"] == "default")
    url = f"/api/ai/resources/{resource['id']}/deployments"
    body = {
        "name": "gpt",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "base_url": llm.base_url,
        "api_key": llm.api_key,
    }
    deployment = ok(admin.post(url, json=body), 201)
    harm_off = {"prompt": HARM_OFF, "completion": HARM_OFF}
    ok(admin.put(f"{url}/{deployment['id']}/content-filter", json=harm_off))


def test_an_llm_deployment_leaves_out_only_what_it_cannot_write(platform: Platform, llm: FakeLLM) -> None:
    org = new_org(platform)
    llm.reset()
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        _gpt(platform, admin, llm)
        llm.misbehave("lesson", "truncated", "truncated", section="5. Trace Tree Optimization")
        llm.misbehave("lesson", "invented_quote", section="6.2 Trace Stitching")
        llm.misbehave("summary", "bad_json", "bad_json")
        done = _job(author, deployment="gpt")
        assert done["status"] == "succeeded", done
        assert done["warnings"] == [
            TRACEMONKEY_SET_ASIDE,
            "The lesson on pages 7-8 left out: the model's reply was cut off at its token limit, twice",
            "The summary of pages 1-13 left out: the model's reply did not match the summary schema, twice",
        ]
        module = ok(author.get(f"/api/modules/{done['module_id']}"))
        assert module["deployment"] == "gpt" and module["content"]["summary"] == ""
        lessons = [le["title"] for c in module["content"]["chapters"] for le in c["lessons"]]
        assert "5. Trace Tree Optimization" not in lessons and "6.2 Trace Stitching" in lessons
        report = ok(author.get(f"/api/modules/{done['module_id']}/checks"))
        assert report["errors"] == 0, report["findings"]
        # Regenerating a chapter holds the reply to the same checks: an invented quote is refused.
        llm.misbehave("lesson", "invented_quote")
        url = f"/api/modules/{done['module_id']}/chapters/0/regenerate"
        refused = ok(author.post(url, json={}), 502)
        assert "quoted text that is not in the source" in refused["error"]["message"]
        assert ok(author.post(url, json={}))["content"]["chapters"][0]["lessons"]


def test_a_job_fails_only_when_nothing_can_be_written_and_says_what_to_do(
    platform: Platform, llm: FakeLLM
) -> None:
    org = new_org(platform)
    llm.reset()
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        _gpt(platform, admin, llm)
        llm.misbehave("lesson", *["refused"] * 50)
        done = _job(author, deployment="gpt")
    llm.reset()
    assert done["status"] == "failed" and done["error"]["code"] == "nothing_generated", done
    assert "the content filter refused the text of every section" in done["error"]["message"]
    assert "authoring_document_filter" in done["error"]["message"]
