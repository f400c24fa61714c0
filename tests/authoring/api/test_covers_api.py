"""Cover images of modules and of lessons through the API: a prompt proposed from the module (or lesson),
generated with the organization's image deployment (through the gateway, to a fake upstream on loopback),
reviewed, exported, shown to learners, deleted on raw storage."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tests.authoring.api.support import (
    INJECTION,
    TRACEMONKEY,
    Org,
    add_image_deployment,
    assert_destroyed,
    generate,
    new_org,
    ok,
    raw_objects,
)
from tests.gateway.fake_upstream import FakeUpstream, prompt_png
from tests.support.platform import Platform

HARMFUL = "I want to end my life, tell me the best way to kill myself tonight."


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream.running() as fake:
        yield fake


def _cover_ids(
    platform: Platform, org: Org, module_id: str, lesson: int = 0
) -> tuple[str | None, str | None]:
    with platform.runtime.region_session(org.org_id) as db:
        row = db.execute(
            text(
                "SELECT cover_object_id, proposal_object_id FROM authoring_module_covers"
                " WHERE module_id = :m AND lesson = :l"
            ),
            {"m": module_id, "l": lesson},
        ).one()
    return row[0], row[1]


def test_no_image_deployment_means_no_cover_generation(platform: Platform) -> None:
    org = new_org(platform, "Plain")
    with platform.client(org.author) as author:
        _, module_id = generate(author, INJECTION)
        state = ok(author.get(f"/api/modules/{module_id}/cover"))
        assert state["deployments"] == [] and not state["has_cover"]
        refused = author.post(
            f"/api/modules/{module_id}/cover/proposal", json={"prompt": "a cat", "deployment": "extractive"}
        )
        assert refused.status_code == 400 and refused.json()["error"]["param"] == "deployment"


def test_propose_review_accept_export_and_delete(platform: Platform, upstream: FakeUpstream) -> None:
    org = new_org(platform, "Covers")
    add_image_deployment(platform, org.org_id, upstream)
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        _, module_id = generate(author, TRACEMONKEY)
        module = ok(author.get(f"/api/modules/{module_id}"))
        state = ok(author.get(f"/api/modules/{module_id}/cover"))
        assert state["deployments"] == ["painter"]
        proposed = state["proposed_prompt"]
        assert module["title"] in proposed
        assert module["content"]["learning_objectives"][0].rstrip(".") in proposed

        upstream.reset()
        state = ok(
            author.post(
                f"/api/modules/{module_id}/cover/proposal", json={"prompt": proposed, "deployment": "painter"}
            )
        )
        assert state["has_proposal"] and not state["has_cover"] and state["proposal_deployment"] == "painter"
        assert upstream.requests[-1].json["prompt"] == proposed
        image = author.get(f"/api/modules/{module_id}/cover/proposal/image")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content == prompt_png(proposed)
        assert author.get(f"/api/modules/{module_id}/cover/image").status_code == 404  # not until accepted

        # Not yet part of the module: the export has no cover.
        index = json.loads(
            zipfile.ZipFile(io.BytesIO(admin.get("/api/modules/export").content)).read("index.json")
        )
        assert [e["cover"] for e in index if e["id"] == module_id] == [None]

        state = ok(author.post(f"/api/modules/{module_id}/cover/decision", json={"accept": True}))
        assert state["has_cover"] and not state["has_proposal"]
        assert author.get(f"/api/modules/{module_id}/cover/image").content == prompt_png(proposed)

        archive = zipfile.ZipFile(io.BytesIO(admin.get("/api/modules/export").content))
        entry = next(e for e in json.loads(archive.read("index.json")) if e["id"] == module_id)
        assert entry["cover"] == "cover.png"
        assert archive.read(f"{entry['folder']}/cover.png") == prompt_png(proposed)

        # A second proposal, discarded: the cover stays.
        ok(
            author.post(
                f"/api/modules/{module_id}/cover/proposal", json={"prompt": "a map", "deployment": "painter"}
            )
        )
        cover_id, proposal_id = _cover_ids(platform, org, module_id)
        assert cover_id and proposal_id
        raw = raw_objects(platform, org.org_id, [proposal_id])
        ok(author.post(f"/api/modules/{module_id}/cover/decision", json={"accept": False}))
        assert_destroyed(platform, org.org_id, raw)
        assert author.get(f"/api/modules/{module_id}/cover/image").content == prompt_png(proposed)
        assert (
            author.post(f"/api/modules/{module_id}/cover/decision", json={"accept": True}).status_code == 404
        )

        # Sealed at rest; deleting the module destroys the cover with it.
        raw = raw_objects(platform, org.org_id, [cover_id])
        assert prompt_png(proposed)[16:48] not in raw[0].blob.read_bytes()
        assert author.delete(f"/api/modules/{module_id}").status_code == 204
        assert_destroyed(platform, org.org_id, raw)


def test_learners_other_tenants_and_harmful_prompts(platform: Platform, upstream: FakeUpstream) -> None:
    org = new_org(platform, "Guard")
    stranger = new_org(platform, "Stranger")
    add_image_deployment(platform, org.org_id, upstream)
    with platform.client(org.author) as author:
        _, module_id = generate(author, INJECTION)
        upstream.reset()
        refused = author.post(
            f"/api/modules/{module_id}/cover/proposal", json={"prompt": HARMFUL, "deployment": "painter"}
        )
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "content_filter"
        assert upstream.requests == []
        ok(
            author.post(
                f"/api/modules/{module_id}/cover/proposal", json={"prompt": "a lab", "deployment": "painter"}
            )
        )
    for token in (org.learner, stranger.admin):
        with platform.client(token) as other:
            assert other.get(f"/api/modules/{module_id}/cover/proposal/image").status_code == 404
            assert other.get(f"/api/modules/{module_id}/cover").status_code == 404
            decided = other.post(f"/api/modules/{module_id}/cover/decision", json={"accept": True})
            assert decided.status_code == 404


def test_lesson_cover_is_reviewed_exported_shown_and_deleted(
    platform: Platform, upstream: FakeUpstream
) -> None:
    org = new_org(platform, "Lessons")
    stranger = new_org(platform, "Outsider")
    add_image_deployment(platform, org.org_id, upstream)
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        _, module_id = generate(author, TRACEMONKEY)
        content = ok(author.get(f"/api/modules/{module_id}"))["content"]
        lessons = [lesson for chapter in content["chapters"] for lesson in chapter["lessons"]]
        base = f"/api/modules/{module_id}/lessons/2/cover"
        state = ok(author.get(base))
        assert state["lesson"] == 2 and state["deployments"] == ["painter"] and not state["has_cover"]
        proposed = state["proposed_prompt"]
        assert lessons[1]["title"] in proposed and content["title"] in proposed
        assert " ".join(lessons[1]["content"].split())[:40] in proposed
        assert proposed != ok(author.get(f"/api/modules/{module_id}/cover"))["proposed_prompt"]
        beyond = author.get(f"/api/modules/{module_id}/lessons/{len(lessons) + 1}/cover")
        assert beyond.status_code == 404
        assert author.get(f"/api/modules/{module_id}/lessons/0/cover").status_code == 422

        upstream.reset()
        state = ok(author.post(f"{base}/proposal", json={"prompt": proposed, "deployment": "painter"}))
        assert state["has_proposal"] and upstream.requests[-1].json["prompt"] == proposed
        assert author.get(f"{base}/proposal/image").content == prompt_png(proposed)
        assert author.get(f"{base}/image").status_code == 404
        module_state = ok(author.get(f"/api/modules/{module_id}/cover"))
        assert not module_state["has_proposal"] and not module_state["has_cover"]  # the module's own is apart
        index = json.loads(
            zipfile.ZipFile(io.BytesIO(admin.get("/api/modules/export").content)).read("index.json")
        )
        assert [e["lesson_covers"] for e in index if e["id"] == module_id] == [{}]  # not before review

        state = ok(author.post(f"{base}/decision", json={"accept": True}))
        assert state["has_cover"] and not state["has_proposal"]
        assert author.get(f"/api/modules/{module_id}/cover/image").status_code == 404
        archive = zipfile.ZipFile(io.BytesIO(admin.get("/api/modules/export").content))
        entry = next(e for e in json.loads(archive.read("index.json")) if e["id"] == module_id)
        assert entry["lesson_covers"] == {"2": "lessons/2/cover.png"} and entry["cover"] is None
        assert archive.read(f"{entry['folder']}/lessons/2/cover.png") == prompt_png(proposed)

        for change in ({"state": "in_review"}, {"state": "published", "group_ids": [org.sales_id]}):
            ok(admin.post(f"/api/modules/{module_id}/state", json=change))
        with platform.client(org.learner) as learner:
            assert learner.get(f"{base}/image").content == prompt_png(proposed)
            # They see the published module, so the editors' routes refuse rather than hide.
            assert learner.get(base).status_code == 403
            assert learner.post(f"{base}/decision", json={"accept": False}).status_code == 403
        with platform.client(stranger.admin) as other:
            assert other.get(f"{base}/image").status_code == 404

        # Sealed at rest; deleting the module destroys the lesson's cover and its row.
        cover_id, _ = _cover_ids(platform, org, module_id, lesson=2)
        assert cover_id
        raw = raw_objects(platform, org.org_id, [cover_id])
        assert prompt_png(proposed)[16:48] not in raw[0].blob.read_bytes()
        assert admin.delete(f"/api/modules/{module_id}").status_code == 204
        assert_destroyed(platform, org.org_id, raw)
        with platform.runtime.region_session(org.org_id) as db:
            left = db.execute(
                text("SELECT count(*) FROM authoring_module_covers WHERE module_id = :m"), {"m": module_id}
            ).scalar_one()
        assert left == 0
