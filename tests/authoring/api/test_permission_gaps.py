"""The permission matrix holds where it used to leak: AI questions need `ai.generate_questions`, a module
learners may have seen is deleted only with publish rights, and nobody can remove the last active admin.
Over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.authoring.api.support import INJECTION, generate, new_org, ok, upload, wait_for
from tests.support.platform import PASSWORD, Platform


def _matrix(client: object, role: str, permission: str, allowed: bool) -> None:
    cell = [{"role": role, "permission": permission, "allowed": allowed}]
    ok(client.put("/api/org/permissions", json=cell))  # type: ignore[attr-defined]


def test_without_generate_questions_an_author_gets_a_module_without_ai_questions(platform: Platform) -> None:
    org = new_org(platform, "Questions")
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        _, with_questions = generate(author, INJECTION)
        assert ok(author.get(f"/api/modules/{with_questions}"))["content"]["questions"], "granted: questions"

        _matrix(admin, "author", "ai.generate_questions", False)
        doc = ok(upload(author, INJECTION), 201)
        job = ok(author.post("/api/modules", json={"document_id": doc["id"]}), 202)
        done, _ = wait_for(author, job["id"])
        assert done["status"] == "succeeded", done
        module = ok(author.get(f"/api/modules/{done['module_id']}"))
        assert module["content"]["questions"] == []
        assert module["content"]["chapters"], "the lessons are still written"
        assert any("ai.generate_questions" in w for w in done["warnings"]), done["warnings"]
        refused = author.post(f"/api/modules/{with_questions}/questions/0/regenerate", json={})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_allowed"


def test_an_author_without_publish_rights_cannot_delete_a_published_module(platform: Platform) -> None:
    org = new_org(platform, "Delete")
    with platform.client(org.admin) as admin, platform.client(org.author) as author:
        _, draft = generate(author, INJECTION)
        _, published = generate(author, INJECTION)
        ok(author.post(f"/api/modules/{published}/state", json={"state": "in_review"}))
        ok(
            admin.post(
                f"/api/modules/{published}/state",
                json={"state": "published", "group_ids": [org.sales_id], "override_reason": "test"},
            )
        )
        count = len(ok(admin.get(f"/api/modules/{published}"))["content"]["questions"])
        with platform.client(org.learner) as learner:
            ok(learner.post(f"/api/modules/{published}/attempts", json={"answers": [[]] * count}), 201)

        refused = author.delete(f"/api/modules/{published}")
        assert refused.status_code == 403, refused.text
        assert "reviewer or an admin" in refused.json()["error"]["message"]  # in words, no permission code
        assert ok(admin.get(f"/api/modules/{published}/attempts")), "the learner's attempt is kept"
        # Archived and moved back to draft it is still a module learners saw: still refused.
        ok(admin.post(f"/api/modules/{published}/state", json={"state": "archived"}))
        ok(author.post(f"/api/modules/{published}/state", json={"state": "draft"}))
        assert author.delete(f"/api/modules/{published}").status_code == 403

        assert author.delete(f"/api/modules/{draft}").status_code == 204, "a never-published draft: fine"
        assert admin.delete(f"/api/modules/{published}").status_code == 204
        _matrix(admin, "author", "content.review_publish", True)  # publish rights: then the author may


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(platform: Platform) -> None:
    org = new_org(platform, "Admins")
    with platform.client(org.admin) as admin:
        me = ok(admin.get("/api/me"))["user"]["id"]
        everyone = next(g for g in ok(admin.get("/api/groups")) if g["name"] != "Sales")
        for refused in (
            admin.patch(f"/api/users/{me}", json={"is_active": False}),
            admin.put(f"/api/groups/{everyone['id']}/members", json={"user_id": me, "role": "learner"}),
            admin.delete(f"/api/groups/{everyone['id']}/members/{me}"),
        ):
            assert refused.status_code == 409, refused.text
            assert refused.json()["error"]["code"] == "last_admin"
        assert ok(admin.get("/api/me"))["user"]["id"] == me, "still signed in, still admin"
        assert ok(admin.get("/api/org/permissions"))

        # With a second active admin, the first may step down; then the second is the last one.
        second = ok(
            admin.post(
                "/api/users",
                json={"email": "second@example.com", "password": PASSWORD, "role": "admin"},
            ),
            201,
        )
        ok(admin.put(f"/api/groups/{everyone['id']}/members", json={"user_id": me, "role": "learner"}))
    other = platform.login(org.slug, "second@example.com")
    with platform.client(other) as client:
        assert client.patch(f"/api/users/{second['id']}", json={"is_active": False}).status_code == 409
        ok(client.patch(f"/api/users/{me}", json={"is_active": False}))  # not an admin any more: fine
