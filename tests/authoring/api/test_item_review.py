"""A reviewer's work item by item over HTTP: accept or reject each lesson and question, regenerate one lesson
or question in place, and publish without the rejected ones. Over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from tests.authoring.api.support import INJECTION, TRACEMONKEY, generate, new_org, ok
from tests.support.platform import Platform
from tutela.authoring.covers.models import ModuleCover


def _decide(client: Any, module_id: str, where: str, decision: str | None) -> dict[str, Any]:
    result: dict[str, Any] = ok(
        client.put(f"/api/modules/{module_id}/{where}/decision", json={"decision": decision})
    )
    return result


def _decisions(items: dict[str, Any]) -> dict[str, str | None]:
    return {i["item"]: i["decision"] for i in items["items"]}


def test_accept_reject_regenerate_in_place_and_publish_without_the_rejected(platform: Platform) -> None:
    org = new_org(platform, "Items")
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        _, module_id = generate(author, TRACEMONKEY)
        content = ok(author.get(f"/api/modules/{module_id}"))["content"]
        lessons = [(c, i) for c, ch in enumerate(content["chapters"]) for i, _ in enumerate(ch["lessons"])]
        assert len(lessons) >= 3 and len(content["questions"]) >= 3

        items = ok(author.get(f"/api/modules/{module_id}/items"))
        assert set(_decisions(items).values()) == {None}
        assert items["undecided"][0] == "Chapter 1, lesson 1" and items["rejected"] == 0
        assert len(items["undecided"]) == len(lessons) + len(content["questions"])

        # Accept the first lesson, reject the second and the first question; take one back to undecided.
        (c0, l0), (c1, l1), (c2, l2) = lessons[:3]
        _decide(author, module_id, f"chapters/{c0}/lessons/{l0}", "accepted")
        _decide(author, module_id, f"chapters/{c1}/lessons/{l1}", "rejected")
        _decide(author, module_id, "questions/1", "accepted")
        _decide(author, module_id, "questions/2", "accepted")
        items = _decide(author, module_id, "questions/0", "rejected")
        assert _decisions(items)[f"lesson:{c0}:{l0}"] == "accepted"
        assert _decisions(items)[f"lesson:{c1}:{l1}"] == "rejected" and items["rejected"] == 2
        assert "Chapter 1, lesson 1" not in items["undecided"]
        items = _decide(author, module_id, "questions/2", None)
        assert _decisions(items)["question:2"] is None

        # Bad input: an item the module does not have, a decision that is not one.
        assert ok(
            author.put(f"/api/modules/{module_id}/questions/99/decision", json={"decision": "accepted"}), 404
        )
        refused = author.put(f"/api/modules/{module_id}/questions/1/decision", json={"decision": "maybe"})
        assert refused.status_code == 422

        # An exported quiz leaves the rejected question out.
        gift = author.get(f"/api/modules/{module_id}/export", params={"format": "gift"})
        assert gift.status_code == 200
        report = json.loads(gift.headers["X-Tutela-Export-Report"])
        assert report["questions_total"] == len(content["questions"]) - 1

        # Editing a lesson forgets its decision (it is a new text to decide on); the others stay.
        edited_lesson = dict(content["chapters"][c0]["lessons"][l0], title="Written by hand")
        chapter = dict(content["chapters"][c0])
        chapter["lessons"] = [edited_lesson if i == l0 else x for i, x in enumerate(chapter["lessons"])]
        ok(author.put(f"/api/modules/{module_id}/chapters/{c0}", json=chapter))
        items = ok(author.get(f"/api/modules/{module_id}/items"))
        assert _decisions(items)[f"lesson:{c0}:{l0}"] is None
        assert _decisions(items)[f"lesson:{c1}:{l1}"] == "rejected"

        # Regenerating that one lesson replaces it alone: every other lesson and question is unchanged.
        _decide(author, module_id, f"chapters/{c2}/lessons/{l2}", "accepted")
        regenerated = ok(
            author.post(f"/api/modules/{module_id}/chapters/{c0}/lessons/{l0}/regenerate", json={})
        )
        after = regenerated["content"]
        new_lesson = after["chapters"][c0]["lessons"][l0]
        assert new_lesson["title"] != "Written by hand" and new_lesson["citations"]
        for c, i in lessons:
            if (c, i) != (c0, l0):
                assert after["chapters"][c]["lessons"][i] == content["chapters"][c]["lessons"][i]
        assert after["questions"] == content["questions"]
        items = ok(author.get(f"/api/modules/{module_id}/items"))
        assert _decisions(items)[f"lesson:{c2}:{l2}"] == "accepted", "the other items keep their decisions"
        assert _decisions(items)["question:0"] == "rejected"

        # Regenerating one question: only that question changes, and its decision is forgotten.
        before = after["questions"][1]
        regenerated = ok(author.post(f"/api/modules/{module_id}/questions/1/regenerate", json={}))
        assert regenerated["content"]["questions"][1]["stem"] != before["stem"]
        assert regenerated["content"]["questions"][0] == after["questions"][0]
        assert regenerated["content"]["chapters"] == after["chapters"]
        assert _decisions(ok(author.get(f"/api/modules/{module_id}/items")))["question:1"] is None

        # The rows name places and decisions, never the text.
        region = platform.runtime.region_of(org.org_id)
        with region.db.session() as db:
            rows = db.execute(
                text("SELECT item, decision FROM authoring_item_decisions WHERE module_id = :m"),
                {"m": module_id},
            ).all()
        assert {(r.item, r.decision) for r in rows} >= {
            (f"lesson:{c1}:{l1}", "rejected"),
            ("question:0", "rejected"),
        }

        # Lesson covers (rows only) on the first three lessons, numbered across chapters from 1: the rejected
        # second lesson's cover goes with it, the third lesson's becomes the second's.
        with region.db.session() as db:
            for number, marker in ((1, "first"), (2, "rejected"), (3, "third")):
                db.add(
                    ModuleCover(
                        org_id=org.org_id, module_id=module_id, lesson=number, cover_type=f"image/{marker}"
                    )
                )
            db.commit()

        # Publishing leaves the rejected lesson and question out for good, and says how many.
        ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        publish = {"state": "published", "group_ids": [org.sales_id], "override_reason": "Read by hand."}
        published = ok(admin.post(f"/api/modules/{module_id}/state", json=publish))
        assert published["state"] == "published"
        final = ok(admin.get(f"/api/modules/{module_id}"))["content"]
        titles = [x["title"] for ch in final["chapters"] for x in ch["lessons"]]
        assert len(titles) == len(lessons) - 1
        assert len(final["questions"]) == len(content["questions"]) - 1
        assert content["questions"][0]["stem"] not in [q["stem"] for q in final["questions"]]
        entries = ok(admin.get("/api/audit", params={"action": "module.state_changed"}))
        assert any(e["details"].get("left_out") == 2 for e in entries), entries
        with region.db.session() as db:
            covers = db.execute(
                text("SELECT lesson, cover_type FROM authoring_module_covers WHERE module_id = :m"),
                {"m": module_id},
            ).all()
        assert sorted((r.lesson, r.cover_type) for r in covers) == [(1, "image/first"), (2, "image/third")]
        # The kept decisions moved with their items: the accepted lesson is still accepted.
        assert "rejected" not in _decisions(ok(admin.get(f"/api/modules/{module_id}/items"))).values()


def test_who_may_decide_and_regenerate(platform: Platform) -> None:
    org, other = new_org(platform, "Deciders"), new_org(platform, "Others")
    with (
        platform.client(org.admin) as admin,
        platform.client(org.author) as author,
        platform.client(org.learner) as learner,
        platform.client(other.admin) as stranger,
    ):
        _, module_id = generate(author, INJECTION)
        paths = [
            ("GET", f"/api/modules/{module_id}/items", None),
            ("PUT", f"/api/modules/{module_id}/chapters/0/lessons/0/decision", {"decision": "accepted"}),
            ("PUT", f"/api/modules/{module_id}/questions/0/decision", {"decision": "rejected"}),
            ("POST", f"/api/modules/{module_id}/chapters/0/lessons/0/regenerate", {}),
            ("POST", f"/api/modules/{module_id}/questions/0/regenerate", {}),
        ]
        # Another organization's admin does not learn the module exists.
        for method, path, body in paths:
            assert stranger.request(method, path, json=body).status_code == 404, path

        # Every lesson rejected: nothing to publish, said in words.
        content = ok(author.get(f"/api/modules/{module_id}"))["content"]
        for c, chapter in enumerate(content["chapters"]):
            for i, _ in enumerate(chapter["lessons"]):
                _decide(author, module_id, f"chapters/{c}/lessons/{i}", "rejected")
        ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        publish = {"state": "published", "group_ids": [org.sales_id], "override_reason": "Read by hand."}
        refused = ok(admin.post(f"/api/modules/{module_id}/state", json=publish), 409)
        assert refused["error"]["code"] == "nothing_left"
        assert "every lesson of the module was rejected" in refused["error"]["message"].lower()
        assert ok(admin.get(f"/api/modules/{module_id}"))["state"] == "in_review", "nothing was lost"

        _decide(author, module_id, "chapters/0/lessons/0", "accepted")
        ok(admin.post(f"/api/modules/{module_id}/state", json=publish))
        # A learner who sees the published module may not decide or regenerate.
        assert learner.get(f"/api/modules/{module_id}").status_code == 200
        for method, path, body in paths:
            assert learner.request(method, path, json=body).status_code == 403, path
