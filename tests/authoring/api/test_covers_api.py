"""Cover images through the API: a prompt proposed from the module, generated with the organization's image
deployment (through the gateway, to a fake upstream on loopback), reviewed, exported, deleted on raw
storage."""

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


def _cover_ids(platform: Platform, org: Org, module_id: str) -> tuple[str | None, str | None]:
    with platform.runtime.region_session(org.org_id) as db:
        row = db.execute(
            text(
                "SELECT cover_object_id, proposal_object_id FROM authoring_module_covers WHERE module_id = :m"
            ),
            {"m": module_id},
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
