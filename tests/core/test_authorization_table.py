"""Who may call what: every API route of the app × every kind of caller × tenant, over real HTTP.

`TABLE` says, for every (method, path) the app serves (read from its own OpenAPI description, so a new
route that is not in the table fails `test_the_table_names_every_route`), which callers may call it under
the default permission matrix. The objects in the paths (module, document, template, …) belong to
organization A and were made by A's admin. Then every route is called as every caller:

- a caller the table does not name must be refused (401, 403, or the 404 that hides what it may not see);
- a caller it names must not be refused (401 or 403) on reading routes (mutating ones are called only by
  those refused, so the table's walk changes nothing; their allowed side is in each domain's API tests);
- the tenant dimension: B's admin is refused on every route that names one of A's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.authoring.api.support import INJECTION, ok, upload, wait_for
from tests.support.platform import PASSWORD, Platform
from tutela.app import create_app
from tutela.core.auth import staff as staff_service
from tutela.core.permissions.roles import StaffRole

ANONYMOUS, LEARNER, AUTHOR, COACH, ADMIN, STAFF, KEY = (
    "anonymous",
    "learner",
    "author",
    "coach",
    "admin",
    "staff",
    "key",
)
CALLERS = (ANONYMOUS, LEARNER, AUTHOR, COACH, ADMIN, STAFF, KEY)
EVERYONE = frozenset(CALLERS)
MEMBERS = frozenset({LEARNER, AUTHOR, COACH, ADMIN})
GENERATORS = frozenset({AUTHOR, COACH, ADMIN})  # ai.generate_modules / ai.generate_questions
REVIEWERS = frozenset({COACH, ADMIN})  # content.review_publish (and the module's own author, not here)
ADMINS = frozenset({ADMIN})
PLATFORM = frozenset({STAFF})
GATEWAY = frozenset({KEY})

_CITATION = {"page": 1, "quote": "x"}
_CHAPTER = {"title": "x", "lessons": [{"title": "x", "content": "x", "citations": [_CITATION]}]}
_QUESTION = {
    "type": "true_false",
    "stem": "x?",
    "options": ["true", "false"],
    "answer": ["true"],
    "explanation": "x",
    "citation": _CITATION,
}
_MODULE = {"title": "x", "language": "en", "chapters": [_CHAPTER], "summary": "", "questions": [_QUESTION]}
_RULE = {"name": "x", "rule": {"kind": "forbidden_terms", "terms": ["x"]}}
_CHAT = {"model": "extractive", "messages": [{"role": "user", "content": "hello"}]}

# (method, path) → (who may call it, the JSON body refused callers send, so validation is not what stops them)
Rule = tuple[frozenset[str], Any]
TABLE: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): (EVERYONE, None),
    ("GET", "/metrics"): (frozenset(), None),  # only with server.metrics_token, which no caller holds
    # the AI gateway: API keys of an AI resource only
    ("GET", "/v1/models"): (GATEWAY, None),
    ("POST", "/v1/chat/completions"): (GATEWAY, _CHAT),
    ("POST", "/v1/completions"): (GATEWAY, {"model": "extractive", "prompt": "hello"}),
    ("POST", "/v1/embeddings"): (GATEWAY, {"model": "extractive", "input": "hello"}),
    ("POST", "/v1/moderations"): (GATEWAY, {"input": "hello"}),
    ("POST", "/v1/images/generations"): (GATEWAY, {"model": "extractive", "prompt": "hello"}),
    ("GET", "/v1/images/generated/{image_id}"): (GATEWAY, None),
    ("POST", "/v1/audio/transcriptions"): (GATEWAY, {"model": "whisper"}),  # refused before the form is read
    # sign-in and the caller's own account
    ("POST", "/api/auth/login"): (EVERYONE, None),
    ("POST", "/api/auth/logout"): (MEMBERS, None),
    ("GET", "/api/me"): (MEMBERS, None),
    ("GET", "/api/me/tokens"): (MEMBERS, None),
    ("GET", "/api/notifications"): (MEMBERS, None),
    ("POST", "/api/notifications/read"): (MEMBERS, None),
    ("POST", "/api/notifications/{notification_id}/read"): (MEMBERS, None),
    ("POST", "/api/me/tokens"): (MEMBERS, {"name": "x"}),
    ("DELETE", "/api/me/tokens/{token_id}"): (ADMINS, None),  # the admin's own token
    # the organization, its people and its audit log
    ("GET", "/api/org"): (MEMBERS, None),
    ("PATCH", "/api/org"): (ADMINS, {"ai_enabled": True}),
    ("GET", "/api/org/permissions"): (MEMBERS, None),
    ("PUT", "/api/org/permissions"): (
        ADMINS,
        [{"role": "learner", "permission": "audit.view", "allowed": True}],
    ),
    ("GET", "/api/users"): (ADMINS, None),
    ("POST", "/api/users"): (ADMINS, {"email": "new@example.com", "password": PASSWORD, "role": "admin"}),
    ("GET", "/api/users/{user_id}"): (ADMINS, None),
    ("PATCH", "/api/users/{user_id}"): (ADMINS, {"is_active": False}),
    ("POST", "/api/users/{user_id}/unlock"): (ADMINS, None),
    ("GET", "/api/groups"): (MEMBERS, None),
    ("POST", "/api/groups"): (ADMINS, {"name": "x"}),
    ("GET", "/api/groups/{group_id}"): (MEMBERS, None),
    ("GET", "/api/groups/{group_id}/members"): (ADMINS, None),
    ("PUT", "/api/groups/{group_id}/members"): (ADMINS, {"user_id": "{user_id}", "role": "admin"}),
    ("DELETE", "/api/groups/{group_id}/members/{user_id}"): (ADMINS, None),
    ("GET", "/api/audit"): (ADMINS, None),
    ("GET", "/api/audit/verify"): (ADMINS, None),
    # AI resources, keys, deployments and content safety settings
    ("GET", "/api/ai/resources"): (ADMINS, None),
    ("POST", "/api/ai/resources"): (ADMINS, {"name": "x"}),
    ("GET", "/api/ai/resources/{resource_id}/keys"): (ADMINS, None),
    ("POST", "/api/ai/resources/{resource_id}/keys"): (ADMINS, {"name": "x"}),
    ("DELETE", "/api/ai/resources/{resource_id}/keys/{key_id}"): (ADMINS, None),
    ("GET", "/api/ai/resources/{resource_id}/deployments"): (ADMINS, None),
    ("POST", "/api/ai/resources/{resource_id}/deployments"): (
        ADMINS,
        {"name": "x", "provider": "extractive"},
    ),
    ("DELETE", "/api/ai/resources/{resource_id}/deployments/{deployment_id}"): (ADMINS, None),
    ("GET", "/api/ai/resources/{resource_id}/data-sources"): (ADMINS, None),
    ("POST", "/api/ai/resources/{resource_id}/data-sources"): (
        ADMINS,
        {"name": "x", "connection_string": "postgresql://x@127.0.0.1:1/x", "query": "SELECT %(question)s"},
    ),
    ("DELETE", "/api/ai/resources/{resource_id}/data-sources/{source_id}"): (ADMINS, None),
    ("PUT", "/api/ai/resources/{resource_id}/deployments/{deployment_id}/pii"): (ADMINS, {"pii": "off"}),
    ("PUT", "/api/ai/resources/{resource_id}/deployments/{deployment_id}/routing"): (
        ADMINS,
        {"fallbacks": []},
    ),
    ("GET", "/api/ai/resources/{resource_id}/deployments/{deployment_id}/content-filter"): (ADMINS, None),
    ("PUT", "/api/ai/resources/{resource_id}/deployments/{deployment_id}/content-filter"): (
        ADMINS,
        {"prompt": {"hate": "off"}},
    ),
    ("PUT", "/api/ai/resources/{resource_id}/deployments/{deployment_id}/price"): (
        ADMINS,
        {"input_per_million": 0.5, "output_per_million": 1.5, "currency": "USD"},
    ),
    ("DELETE", "/api/ai/resources/{resource_id}/deployments/{deployment_id}/price"): (ADMINS, None),
    ("GET", "/api/ai/usage"): (ADMINS, None),
    ("GET", "/api/ai/usage/csv"): (ADMINS, None),
    ("GET", "/api/ai/usage/retention"): (ADMINS, None),
    ("PUT", "/api/ai/usage/retention"): (ADMINS, {"days": None}),
    ("GET", "/api/ai/limits"): (ADMINS, None),
    ("PUT", "/api/ai/limits"): (ADMINS, {"scope": "organization", "requests_per_minute": 100000}),
    ("DELETE", "/api/ai/limits/{limit_id}"): (ADMINS, None),
    ("GET", "/api/ai/blocklists"): (ADMINS, None),
    ("POST", "/api/ai/blocklists"): (ADMINS, {"name": "x"}),
    ("GET", "/api/ai/blocklists/{blocklist_id}"): (ADMINS, None),
    ("DELETE", "/api/ai/blocklists/{blocklist_id}"): (ADMINS, None),
    ("POST", "/api/ai/blocklists/{blocklist_id}/items"): (ADMINS, {"kind": "exact", "pattern": "x"}),
    ("DELETE", "/api/ai/blocklists/{blocklist_id}/items/{item_id}"): (ADMINS, None),
    ("GET", "/api/policies/rules"): (ADMINS, None),
    ("POST", "/api/policies/rules"): (ADMINS, _RULE),
    ("GET", "/api/policies/rules/{rule_id}"): (ADMINS, None),
    ("PUT", "/api/policies/rules/{rule_id}"): (ADMINS, _RULE),
    ("DELETE", "/api/policies/rules/{rule_id}"): (ADMINS, None),
    ("POST", "/api/policies/evaluate"): (GENERATORS, {"text": "x"}),  # authoring checks its drafts
    # abuse monitoring: the organization's admins, and platform staff
    ("GET", "/api/monitoring/policy"): (ADMINS, None),
    ("PATCH", "/api/monitoring/policy"): (ADMINS, {"retention_days": 30}),
    ("GET", "/api/monitoring/opt-out"): (ADMINS, None),
    ("POST", "/api/monitoring/opt-out"): (ADMINS, {"reason": "we keep nothing of it"}),
    ("GET", "/api/monitoring/resources/{resource_id}/records"): (ADMINS, None),
    ("GET", "/api/monitoring/flags"): (ADMINS, None),
    ("GET", "/api/monitoring/accesses"): (ADMINS, None),
    ("GET", "/api/monitoring/notifications"): (ADMINS, None),
    ("POST", "/api/platform/auth/login"): (EVERYONE, None),
    ("POST", "/api/platform/auth/logout"): (PLATFORM, None),
    ("GET", "/api/platform/regions"): (PLATFORM, None),
    ("GET", "/api/platform/organizations"): (PLATFORM, None),
    ("POST", "/api/platform/organizations"): (
        PLATFORM,
        {"name": "x", "region": "local", "admin_email": "a@example.com", "admin_password": PASSWORD},
    ),
    ("GET", "/api/platform/monitoring/flags"): (PLATFORM, None),
    ("POST", "/api/platform/monitoring/flags/{flag_id}/access-requests"): (
        PLATFORM,
        {"request_id": "req_x", "justification": "x" * 20},
    ),
    ("POST", "/api/platform/monitoring/flags/{flag_id}/outcome"): (PLATFORM, {"outcome": "benign"}),
    ("GET", "/api/platform/monitoring/access-requests"): (PLATFORM, None),
    ("POST", "/api/platform/monitoring/access-requests/{access_id}/approve"): (PLATFORM, {}),
    ("POST", "/api/platform/monitoring/access-requests/{access_id}/reject"): (PLATFORM, None),
    ("GET", "/api/platform/monitoring/access-requests/{access_id}/content"): (PLATFORM, None),
    ("GET", "/api/platform/monitoring/opt-outs"): (PLATFORM, None),
    ("POST", "/api/platform/monitoring/opt-outs/{opt_out_id}/approve"): (PLATFORM, {"note": ""}),
    ("POST", "/api/platform/monitoring/opt-outs/{opt_out_id}/reject"): (PLATFORM, {"note": ""}),
    ("POST", "/api/platform/monitoring/purge"): (PLATFORM, None),
    ("GET", "/api/platform/monitoring/recorder"): (PLATFORM, None),
    # authoring: the admin's upload, template and draft module
    ("GET", "/api/documents"): (MEMBERS, None),  # each sees their own uploads
    ("POST", "/api/documents"): (GENERATORS, None),  # multipart, sent below
    ("GET", "/api/documents/{document_id}"): (ADMINS, None),
    ("DELETE", "/api/documents/{document_id}"): (ADMINS, None),
    ("GET", "/api/documents/{document_id}/file"): (REVIEWERS, None),  # who sees a module made from it
    # the library "on your data" retrieves from: the document's uploader (here the admin) shares it
    ("GET", "/api/documents/{document_id}/transcript"): (ADMINS, None),  # its uploader or an admin
    ("PUT", "/api/documents/{document_id}/transcript"): (ADMINS, {"segments": [{"text": "x"}]}),
    ("GET", "/api/documents/{document_id}/recording"): (REVIEWERS, None),  # as the file, L5
    ("GET", "/api/documents/{document_id}/library"): (ADMINS, None),
    ("PUT", "/api/documents/{document_id}/library"): (ADMINS, {"resources": ["{resource_id}"]}),
    ("DELETE", "/api/documents/{document_id}/library"): (ADMINS, None),
    ("GET", "/api/library/documents"): (MEMBERS, None),  # each sees the library documents they may see
    ("POST", "/api/modules"): (ADMINS, {"document_id": "{document_id}"}),  # generators, with their upload
    ("GET", "/api/modules"): (MEMBERS, None),
    ("GET", "/api/modules/export"): (ADMINS, None),
    ("GET", "/api/modules/jobs/{job_id}"): (ADMINS, None),
    ("GET", "/api/modules/{module_id}"): (REVIEWERS, None),
    ("PATCH", "/api/modules/{module_id}"): (REVIEWERS, {"attach_source": True}),
    ("DELETE", "/api/modules/{module_id}"): (REVIEWERS, None),
    ("PUT", "/api/modules/{module_id}/content"): (REVIEWERS, _MODULE),
    ("PUT", "/api/modules/{module_id}/chapters/{chapter_index}"): (REVIEWERS, _CHAPTER),
    ("PUT", "/api/modules/{module_id}/questions/{question_index}"): (REVIEWERS, _QUESTION),
    ("POST", "/api/modules/{module_id}/chapters/{chapter_index}/regenerate"): (REVIEWERS, {}),
    ("POST", "/api/modules/{module_id}/questions/{question_index}/regenerate"): (REVIEWERS, {}),
    ("POST", "/api/modules/{module_id}/chapters/{chapter_index}/lessons/{lesson_index}/regenerate"): (
        REVIEWERS,
        {},
    ),
    ("GET", "/api/modules/{module_id}/items"): (REVIEWERS, None),
    ("PUT", "/api/modules/{module_id}/chapters/{chapter_index}/lessons/{lesson_index}/decision"): (
        REVIEWERS,
        {"decision": "accepted"},
    ),
    ("PUT", "/api/modules/{module_id}/questions/{question_index}/decision"): (
        REVIEWERS,
        {"decision": "rejected"},
    ),
    ("GET", "/api/modules/{module_id}/checks"): (REVIEWERS, None),
    ("GET", "/api/modules/{module_id}/cover"): (REVIEWERS, None),
    ("POST", "/api/modules/{module_id}/cover/proposal"): (REVIEWERS, {"prompt": "x", "deployment": "x"}),
    ("POST", "/api/modules/{module_id}/cover/decision"): (REVIEWERS, {"accept": False}),
    ("GET", "/api/modules/{module_id}/cover/image"): (REVIEWERS, None),
    ("GET", "/api/modules/{module_id}/cover/proposal/image"): (REVIEWERS, None),
    ("GET", "/api/modules/{module_id}/lessons/{lesson}/cover"): (REVIEWERS, None),
    ("POST", "/api/modules/{module_id}/lessons/{lesson}/cover/proposal"): (
        REVIEWERS,
        {"prompt": "x", "deployment": "x"},
    ),
    ("POST", "/api/modules/{module_id}/lessons/{lesson}/cover/decision"): (REVIEWERS, {"accept": False}),
    ("GET", "/api/modules/{module_id}/lessons/{lesson}/cover/image"): (REVIEWERS, None),
    ("GET", "/api/modules/{module_id}/lessons/{lesson}/cover/proposal/image"): (REVIEWERS, None),
    ("GET", "/api/modules/{module_id}/export"): (REVIEWERS, None),
    ("POST", "/api/modules/{module_id}/state"): (REVIEWERS, {"state": "in_review"}),
    ("GET", "/api/modules/{module_id}/attachment"): (REVIEWERS, None),
    ("DELETE", "/api/modules/{module_id}/attachment"): (REVIEWERS, None),
    ("POST", "/api/modules/{module_id}/attempts"): (REVIEWERS, {"answers": []}),
    ("GET", "/api/modules/{module_id}/attempts"): (REVIEWERS, None),
    ("GET", "/api/modules/{module_id}/progress"): (REVIEWERS, None),
    ("POST", "/api/modules/{module_id}/progress"): (REVIEWERS, {"lesson": 0}),
    ("GET", "/api/modules/{module_id}/completion"): (REVIEWERS, None),
    ("GET", "/api/modules/{module_id}/reviewers"): (REVIEWERS, None),
    ("PUT", "/api/modules/{module_id}/reviewers"): (REVIEWERS, {"user_ids": []}),
    ("GET", "/api/prompts"): (GENERATORS, None),
    ("POST", "/api/prompts"): (ADMINS, {"name": "x"}),  # prompts.edit
    ("GET", "/api/prompts/{template_id}"): (GENERATORS, None),
    ("POST", "/api/prompts/{template_id}/versions"): (ADMINS, {"instructions": "x"}),
    ("GET", "/api/prompts/{template_id}/versions/{version}"): (GENERATORS, None),
}

# The Azure OpenAI routes: the same as /v1, under the deployment's path or Azure's v1 prefix.
for _op, _body in (
    ("chat/completions", _CHAT),
    ("completions", {"prompt": "x"}),
    ("embeddings", {"input": "x"}),
    ("images/generations", {"prompt": "x"}),
    ("audio/transcriptions", {}),
):
    TABLE[("POST", f"/openai/deployments/{{deployment}}/{_op}")] = (GATEWAY, _body)
    TABLE[("POST", f"/openai/v1/{_op}")] = (GATEWAY, {"model": "extractive", **_body})
TABLE[("GET", "/openai/v1/models")] = (GATEWAY, None)
# Files and fine-tuning jobs of the key's AI resource, under all three prefixes; an id no resource owns is
# a 404 for the key.
for _prefix in ("/v1", "/openai", "/openai/v1"):
    TABLE[("POST", f"{_prefix}/files")] = (GATEWAY, None)  # multipart; an empty body is the key's 400
    TABLE[("GET", f"{_prefix}/files")] = (GATEWAY, None)
    TABLE[("GET", f"{_prefix}/files/{{file_id}}")] = (GATEWAY, None)
    TABLE[("GET", f"{_prefix}/files/{{file_id}}/content")] = (GATEWAY, None)
    TABLE[("DELETE", f"{_prefix}/files/{{file_id}}")] = (GATEWAY, None)
    TABLE[("GET", f"{_prefix}/fine_tuning/jobs")] = (GATEWAY, None)
    TABLE[("POST", f"{_prefix}/fine_tuning/jobs")] = (GATEWAY, {"model": "x", "training_file": "x"})
    TABLE[("GET", f"{_prefix}/fine_tuning/jobs/{{fine_tuning_job_id}}")] = (GATEWAY, None)
    TABLE[("POST", f"{_prefix}/fine_tuning/jobs/{{fine_tuning_job_id}}/cancel")] = (GATEWAY, None)
    TABLE[("GET", f"{_prefix}/fine_tuning/jobs/{{fine_tuning_job_id}}/events")] = (GATEWAY, None)
    TABLE[("GET", f"{_prefix}/fine_tuning/jobs/{{fine_tuning_job_id}}/checkpoints")] = (GATEWAY, None)


@dataclass
class World:
    platform: Platform
    tokens: dict[str, str | None]
    ids: dict[str, str]
    other_admin: str
    client: httpx.Client


def _staff(platform: Platform) -> str:
    email = f"staff-{uuid.uuid4().hex[:8]}@platform.example.com"
    with platform.runtime.directory.session() as ddb:
        staff_service.create_staff(
            ddb, email=email, password=PASSWORD, roles=set(StaffRole), location="local", min_password_length=8
        )
    with platform.client() as client:
        response = client.post("/api/platform/auth/login", json={"email": email, "password": PASSWORD})
        return str(ok(response)["token"])


def _org(platform: Platform, label: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    name = f"Table {label} {tag}"
    platform.new_org(name, admin_email=f"admin-{tag}@example.com")
    slug = name.lower().replace(" ", "-")
    return slug, platform.login(slug, f"admin-{tag}@example.com")


@pytest.fixture(scope="module")
def world(platform: Platform) -> Iterator[World]:
    slug, admin_token = _org(platform, "A")
    tokens: dict[str, str | None] = {ANONYMOUS: None, ADMIN: admin_token, STAFF: _staff(platform)}
    ids: dict[str, str] = {
        "version": "1",
        "chapter_index": "0",
        "question_index": "0",
        "lesson_index": "0",
        "lesson": "1",
    }
    with platform.client(admin_token) as admin:
        ids["group_id"] = ok(admin.post("/api/groups", json={"name": "Team"}), 201)["id"]
        for role in (LEARNER, AUTHOR, COACH, "subject"):
            body = {"email": f"{role}@example.com", "password": PASSWORD, "role": role, "group_id": None}
            body["role"] = LEARNER if role == "subject" else role
            user = ok(admin.post("/api/users", json=body), 201)
            if role == "subject":
                ids["user_id"] = user["id"]  # a person none of the callers is
            else:
                tokens[role] = platform.login(slug, f"{role}@example.com")
        (resource,) = ok(admin.get("/api/ai/resources"))
        ids["resource_id"] = resource["id"]
        key = ok(admin.post(f"/api/ai/resources/{resource['id']}/keys", json={"name": "k"}), 201)
        tokens[KEY], ids["key_id"] = key["token"], key["id"]
        deployment = ok(admin.get(f"/api/ai/resources/{resource['id']}/deployments"))[0]
        ids["deployment_id"], ids["deployment"] = deployment["id"], deployment["name"]
        ids["token_id"] = ok(admin.post("/api/me/tokens", json={"name": "t"}), 201)["id"]
        ids["template_id"] = ok(admin.post("/api/prompts", json={"name": "p"}), 201)["id"]
        ids["notification_id"] = ids["token_id"]  # any id of the right shape: nobody here has a notification
        blocklist = ok(admin.post("/api/ai/blocklists", json={"name": "b"}), 201)
        ids["blocklist_id"] = blocklist["id"]
        item = ok(
            admin.post(f"/api/ai/blocklists/{blocklist['id']}/items", json={"kind": "exact", "pattern": "p"}),
            201,
        )
        ids["item_id"] = item["id"]
        ids["rule_id"] = ok(admin.post("/api/policies/rules", json=_RULE), 201)["id"]
        generous = {"scope": "resource", "subject_id": resource["id"], "requests_per_minute": 100_000}
        ids["limit_id"] = ok(admin.put("/api/ai/limits", json=generous))["id"]
        doc = ok(upload(admin, INJECTION), 201)
        job = ok(admin.post("/api/modules", json={"document_id": doc["id"]}), 202)
        done, _ = wait_for(admin, job["id"])
        ids["document_id"], ids["job_id"], ids["module_id"] = doc["id"], job["id"], done["module_id"]
        ok(admin.patch(f"/api/modules/{done['module_id']}", json={"attach_source": True}))
    ids["image_id"] = str(uuid.uuid4())  # a key of any resource gets 404 for an image it did not make
    for name in ("flag_id", "access_id", "opt_out_id"):
        ids[name] = str(uuid.uuid4())  # platform objects: refused callers get 404 whatever the id
    _, other_admin = _org(platform, "B")
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        yield World(platform, tokens, ids, other_admin, client)


def _app_routes(platform: Platform) -> list[tuple[str, str]]:
    app = create_app(runtime=platform.runtime)
    return [(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, real in ids.items():
            value = value.replace("{" + name + "}", real)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _call(world: World, token: str | None, method: str, path: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = _fill(path, world.ids)
    body = TABLE[(method, path)][1]
    world.client.cookies.clear()  # a caller is its bearer token alone, never a cookie an earlier answer set
    if (method, path) == ("POST", "/api/documents"):
        files = {"file": (INJECTION.name, INJECTION.read_bytes(), "application/pdf")}
        return world.client.post(url, headers=headers, files=files)
    if body is None:
        return world.client.request(method, url, headers=headers)
    return world.client.request(method, url, headers=headers, json=_fill(body, world.ids))


def test_the_table_names_every_route(platform: Platform) -> None:
    served = set(_app_routes(platform))
    assert not served - set(TABLE), (
        f"routes missing from the authorization table: {sorted(served - set(TABLE))}"
    )
    assert not set(TABLE) - served, (
        f"routes in the table the app does not serve: {sorted(set(TABLE) - served)}"
    )


REFUSED = {401, 403, 404}


@pytest.mark.parametrize("route", sorted(TABLE), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_caller_gets_what_the_table_says(world: World, route: tuple[str, str]) -> None:
    method, path = route
    allowed, _ = TABLE[route]
    wrong: list[str] = []
    for caller in CALLERS:
        if caller in allowed and method != "GET":
            continue  # mutating calls are made only by those who must be refused
        status = _call(world, world.tokens[caller], method, path).status_code
        assert status < 500, f"{caller}: {status}"
        may = caller in allowed
        if (may and status in {401, 403}) or (not may and status not in REFUSED):
            wrong.append(f"{caller} got {status} ({'may' if may else 'may not'} call it)")
    if "{" in path and not path.startswith(("/openai/", "/api/platform/")):
        status = _call(world, world.other_admin, method, path).status_code
        if status not in REFUSED:
            wrong.append(f"another organization's admin got {status}")
    assert not wrong, "; ".join(wrong)
