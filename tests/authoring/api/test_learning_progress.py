"""A learner's progress through a published module over the API: lessons seen, where to resume, attempts
passed or not at the author's pass mark, completion, and who may see or write what."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import text

from tests.authoring.api.support import INJECTION, Org, count_rows, generate, new_org, ok
from tests.support.platform import Platform
from tutela.authoring.learning import service as learning
from tutela.authoring.modules import service as modules
from tutela.authoring.modules.models import Module


def _answers(content: dict[str, Any], *, right: int) -> list[list[str]]:
    """The key's answers for the first `right` questions, wrong ones for the rest."""
    return [
        (q["answer"][:1] if i < right else ["certainly not this"]) for i, q in enumerate(content["questions"])
    ]


def test_lessons_seen_resume_pass_mark_and_completion(platform: Platform) -> None:
    org = new_org(platform, "Progress")
    with (
        platform.client(org.author) as author,
        platform.client(org.admin) as admin,
        platform.client(org.learner) as learner,
        platform.client(org.outsider) as outsider,
    ):
        _, module_id = generate(author, INJECTION)
        # Before publishing, no progress is kept.
        assert ok(author.post(f"/api/modules/{module_id}/progress", json={"lesson": 0}), 409)
        # The author's quiz settings: bad values are refused, good ones kept and audited.
        assert author.patch(f"/api/modules/{module_id}", json={"pass_mark": 101}).status_code == 422
        assert author.patch(f"/api/modules/{module_id}", json={"quiz_mode": "some"}).status_code == 422
        settings = ok(author.patch(f"/api/modules/{module_id}", json={"pass_mark": 60, "quiz_mode": "one"}))
        assert (settings["pass_mark"], settings["quiz_mode"]) == (60, "one")
        key = ok(author.get(f"/api/modules/{module_id}"))["content"]
        total = sum(len(c["lessons"]) for c in key["chapters"])
        questions = len(key["questions"])
        assert questions >= 2, "the fixture must give a quiz to pass and fail"
        ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        publish = {"state": "published", "group_ids": [org.sales_id], "override_reason": "read by hand"}
        ok(admin.post(f"/api/modules/{module_id}/state", json=publish))

        # A learner who has not started: nothing seen, resume at the first lesson.
        fresh = ok(learner.get(f"/api/modules/{module_id}/progress"))
        assert (fresh["lessons_seen"], fresh["current_lesson"], fresh["percent"]) == ([], 0, 0)
        assert (fresh["lessons_total"], fresh["questions"], fresh["pass_mark"]) == (total, questions, 60)
        assert fresh["completed"] is False

        # Opening the last lesson: seen, and the place to resume.
        last = total - 1
        after = ok(learner.post(f"/api/modules/{module_id}/progress", json={"lesson": last}))
        assert (after["lessons_seen"], after["current_lesson"]) == ([last], last)
        assert ok(learner.post(f"/api/modules/{module_id}/progress", json={"lesson": total}), 400)
        assert learner.post(f"/api/modules/{module_id}/progress", json={"lesson": -1}).status_code == 422
        assert ok(learner.get(f"/api/modules/{module_id}/progress"))["current_lesson"] == last

        # A failing attempt (below 60 %) does not pass; a passing one does, but lessons are still missing.
        failing = ok(
            learner.post(f"/api/modules/{module_id}/attempts", json={"answers": _answers(key, right=0)}), 201
        )
        assert failing["passed"] is False
        assert ok(learner.get(f"/api/modules/{module_id}/progress"))["quiz_passed"] is False
        passing = ok(
            learner.post(
                f"/api/modules/{module_id}/attempts", json={"answers": _answers(key, right=questions)}
            ),
            201,
        )
        assert passing["passed"] is True
        halfway = ok(learner.get(f"/api/modules/{module_id}/progress"))
        assert halfway["quiz_passed"] is True and (halfway["completed"] is False or total == 1)
        history = ok(learner.get(f"/api/modules/{module_id}/attempts"))
        assert [a["passed"] for a in history] == [False, True]

        # Every lesson seen: complete, at 100 %.
        for lesson in range(total):
            done = ok(learner.post(f"/api/modules/{module_id}/progress", json={"lesson": lesson}))
        assert done["completed"] is True and done["percent"] == 100 and done["completed_at"] is not None
        assert done["current_lesson"] == total - 1

        # The author sees counts per group (no names); the learner may not.
        report = ok(author.get(f"/api/modules/{module_id}/completion"))
        assert [(g["name"], g["learners"], g["started"], g["completed"]) for g in report["groups"]] == [
            ("Sales", 1, 1, 1)
        ]
        assert (report["learners"], report["completed"]) == (1, 1)
        assert learner.get(f"/api/modules/{module_id}/completion").status_code == 403

        # Progress is per learner: the author has none; someone outside the groups gets the 404.
        assert ok(author.get(f"/api/modules/{module_id}/progress"))["lessons_seen"] == []
        assert outsider.get(f"/api/modules/{module_id}/progress").status_code == 404
        assert outsider.post(f"/api/modules/{module_id}/progress", json={"lesson": 0}).status_code == 404

    # What is stored: lesson numbers and dates, one row per learner and module.
    with platform.runtime.region_of(org.org_id).db.session() as db:
        rows = db.execute(
            text("SELECT user_id, seen, completed_at FROM learning_progress WHERE module_id = :m"),
            {"m": module_id},
        ).all()
    assert [(r[0], r[2] is not None) for r in rows] == [(org.learner_id, True)]

    # Deleting the module deletes every learner's progress with it.
    with platform.client(org.admin) as admin:
        ok(admin.delete(f"/api/modules/{module_id}"), 204)
    assert count_rows(platform, org.org_id, "learning_progress", "module_id", module_id) == 0


def test_another_organizations_admin_cannot_read_or_write_progress(platform: Platform) -> None:
    org, other = new_org(platform, "Mine"), new_org(platform, "Theirs")
    with platform.client(org.author) as author, platform.client(other.admin) as stranger:
        _, module_id = generate(author, INJECTION)
        assert stranger.get(f"/api/modules/{module_id}/progress").status_code == 404
        assert stranger.post(f"/api/modules/{module_id}/progress", json={"lesson": 0}).status_code == 404


def _published(platform: Platform, org: Org) -> str:
    """A module generated by the org's author and published to Sales; returns its id."""
    with platform.client(org.author) as author, platform.client(org.admin) as admin:
        _, module_id = generate(author, INJECTION)
        ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        publish = {"state": "published", "group_ids": [org.sales_id], "override_reason": "read by hand"}
        ok(admin.post(f"/api/modules/{module_id}/state", json=publish))
    return module_id


def test_two_first_opens_at_once_share_one_progress_row(platform: Platform) -> None:
    """The first unit of work has made the learner's row but not committed when the second one looks for it:
    the second waits, then goes on with the same row (no unique-constraint failure)."""
    org = new_org(platform, "Race")
    module_id = _published(platform, org)
    runtime = platform.runtime
    outcome: dict[str, Any] = {}

    def second_open() -> None:
        try:
            with runtime.region_session(org.org_id) as db:
                module = db.get(Module, module_id)
                assert module is not None
                content = modules.read_content(runtime, db, module=module)
                learning.record_lesson(db, module=module, content=content, user_id=org.learner_id, lesson=0)
            outcome["second"] = "ok"
        except Exception as exc:  # noqa: BLE001 - the test reports what the second request met
            outcome["second"] = repr(exc)

    with runtime.region_session(org.org_id) as db:
        module = db.get(Module, module_id)
        assert module is not None
        content = modules.read_content(runtime, db, module=module)
        learning.record_lesson(db, module=module, content=content, user_id=org.learner_id, lesson=0)
        racer = threading.Thread(target=second_open)
        racer.start()
        time.sleep(0.5)  # the second open finds no row and reaches its insert while this one holds it
    racer.join(timeout=30)
    assert outcome == {"second": "ok"}
    with runtime.region_of(org.org_id).db.session() as db:
        rows = db.execute(
            text("SELECT seen FROM learning_progress WHERE module_id = :m"), {"m": module_id}
        ).all()
    assert len(rows) == 1
    seen = rows[0][0] if isinstance(rows[0][0], list) else json.loads(rows[0][0])
    assert seen == [0]


def test_simultaneous_first_opens_over_http_all_succeed(platform: Platform) -> None:
    org = new_org(platform, "Burst")
    module_id = _published(platform, org)
    with platform.client(org.learner) as learner:
        total = ok(learner.get(f"/api/modules/{module_id}/progress"))["lessons_total"]
    lessons = [n % total for n in range(8)]

    def open_lesson(lesson: int) -> int:
        with platform.client(org.learner) as client:
            return client.post(f"/api/modules/{module_id}/progress", json={"lesson": lesson}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(open_lesson, lessons))
    assert statuses == [200] * len(lessons)
    with platform.client(org.learner) as learner:
        assert ok(learner.get(f"/api/modules/{module_id}/progress"))["lessons_seen"] == sorted(set(lessons))
    assert count_rows(platform, org.org_id, "learning_progress", "module_id", module_id) == 1
