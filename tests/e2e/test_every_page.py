"""Every page the web app serves, read from the app's own routes, visited in a real browser by the role that
may see it (with real ids for the pages that take one), at 1280 and 375 px: axe-core finds nothing and the
phone width needs no sideways scrolling; the "not allowed" and "not found" pages too. A page route this test
does not visit must be listed, with why."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from playwright.sync_api import Page, expect
from starlette.routing import BaseRoute

from tests.authoring.api.recordings import encode, lecture_pcm
from tests.authoring.api.support import INJECTION, ok, upload, wait_for
from tests.e2e.conftest import ADMIN, AUTHOR, LEARNER, ORG_SLUG, Site
from tests.e2e.helpers import axe_violations, sign_in
from tests.gateway.monitoring.support import HIGH, flush, new_org, new_staff, record
from tests.support.platform import PASSWORD
from tutela.app import create_app
from tutela.core.auth import staff as staff_service
from tutela.core.permissions.roles import StaffRole
from tutela.web.pages.safety import RULE_KINDS
from tutela.web.routing import PageRoute

PHONE, DESKTOP = (375, 812), (1280, 900)
STAFF = "every-page-staff@platform.example.com"

# Page routes that are not pages to read: each says why it is left out of the visits.
NOT_VISITED = {
    "/static/{name}": "a stylesheet or script file, not a page",
    "/admin/export/tutela-modules.zip": "a ZIP download",
    "/author/jobs/{job_id}/progress": "the progress fragment the job page polls, checked inside that page",
    "/author/recordings/{document_id}/progress": "the progress fragment the transcript page polls",
    "/author/recordings/{document_id}/media": "the recording's audio file, played by the transcript page",
    "/author/modules/{module_id}/export/{format_name}": "a package download (SCORM, cmi5, HTML)",
    "/learn/{module_id}/attachment": "the source PDF, a download",
}

# What sticks out past the right edge of the window (outside any strip that scrolls on its own, such as the
# main navigation): the leaves, to say what makes a page scroll sideways.
WIDEST = """() => {
    const clipped = e => {
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== "visible") return true;
        }
        return false;
    };
    return [...document.querySelectorAll("body *")]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(e))
        .filter(e => e.children.length === 0)
        .slice(0, 3)
        .map(e => `<${e.tagName.toLowerCase()}> "${e.textContent.trim().slice(0, 40)}" ends at `
            + `${Math.round(e.getBoundingClientRect().right)} px`)
        .join("; ") || "no single element";
}"""

# Who opens each page: signed out, an organization's admin, author or learner, or platform staff.
VISITORS = {"/login": "nobody", "/platform/login": "nobody", "/": "learner", "/notifications": "author"}


def visitor(path: str) -> str:
    """The role that may see the page at `path`."""
    if path in VISITORS:
        return VISITORS[path]
    for prefix, role in (("/platform", "staff"), ("/admin", "admin"), ("/author", "author")):
        if path.startswith(prefix):
            return role
    return "learner"


def _routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # a router included by FastAPI, walked lazily
        yield from _routes(included.routes) if included is not None else [route]


def page_routes(site: Site) -> list[str]:
    """The path of every GET page route the app serves."""
    app = create_app(runtime=site.platform.runtime)
    return sorted(r.path for r in _routes(app.routes) if isinstance(r, PageRoute) and "GET" in r.methods)


@dataclass
class World:
    """Real ids for every page that takes one, and the URLs to visit for each route (some more than one)."""

    ids: dict[str, str]
    extra: dict[str, list[str]]  # further URLs of a route: the forms per kind, another part of a module
    queries: dict[str, str]  # a route that needs its query to show a page

    def urls(self, path: str) -> list[str]:
        url = path
        for name, value in self.ids.items():
            url = url.replace("{" + name + "}", value)
        assert "{" not in url, f"no id made for {path}"
        return [url + self.queries.get(path, ""), *self.extra.get(path, [])]


@pytest.fixture(scope="module")
def world(site: Site) -> World:
    """A module published to the learner (with its job) and a draft, a transcribed recording, a group, a
    prompt template, a policy rule, a blocklist, and a flagged request whose content the staff member may
    read under a live grant."""
    platform = site.platform
    ids: dict[str, str] = {}
    with platform.client(site.admin_token) as admin:
        group = ok(admin.post("/api/groups", json={"name": "Every page readers"}), 201)
        ids["group_id"] = group["id"]
        people = {u["email"]: u["id"] for u in ok(admin.get("/api/users"))}
        ok(
            admin.put(
                f"/api/groups/{group['id']}/members", json={"user_id": people[LEARNER], "role": "learner"}
            )
        )
        resource = next(r for r in ok(admin.get("/api/ai/resources")) if r["name"] == "default")
        ids["resource_id"] = resource["id"]
        ids["deployment_id"] = ok(admin.get(f"/api/ai/resources/{resource['id']}/deployments"))[0]["id"]
        template = ok(admin.post("/api/prompts", json={"name": "Every page prompt"}), 201)
        assert template["versions"] == [1]
        ids["template_id"], ids["number"] = template["id"], "1"  # the first version, and the first lesson
        rule = {"name": "Every page rule", "rule": {"kind": "forbidden_terms", "terms": ["secret"]}}
        ids["rule_id"] = ok(admin.post("/api/policies/rules", json=rule), 201)["id"]
        blocklist = ok(admin.post("/api/ai/blocklists", json={"name": "every-page"}), 201)
        ids["blocklist_id"] = blocklist["id"]
    with platform.client(platform.login(ORG_SLUG, AUTHOR)) as author:
        recording = encode(lecture_pcm(), "ipod", "aac")
        files = {"file": ("Every page.m4a", recording, "audio/mp4")}
        ids["document_id"] = ok(author.post("/api/documents", files=files), 201)["id"]
        document = ok(upload(author, INJECTION), 201)
        job = ok(author.post("/api/modules", json={"document_id": document["id"]}), 202)
        done, _ = wait_for(author, job["id"])
        module_id = ids["module_id"] = done["module_id"]
        ids["job_id"] = job["id"]
        ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        draft = ok(upload(author, INJECTION), 201)
        draft_job = ok(author.post("/api/modules", json={"document_id": draft["id"]}), 202)
        draft_id = wait_for(author, draft_job["id"])[0]["module_id"]
    with platform.client(site.admin_token) as admin:
        publish = {"state": "published", "group_ids": [group["id"]], "override_reason": "Read by hand."}
        ok(admin.post(f"/api/modules/{module_id}/state", json=publish))
    ids["access_id"] = _granted_access(site)
    _transcribed(site, ids["document_id"])
    with platform.client(site.admin_token) as admin:
        module = ok(admin.get(f"/api/modules/{module_id}"))
    cited = module["content"]["chapters"][0]["lessons"][0]["citations"][0]
    source = urlencode({"page": cited["page"], "quote": cited["quote"]})
    extra = {
        "/admin/policies": [f"/admin/policies?kind={kind}" for kind, _ in RULE_KINDS],
        "/author/modules/{module_id}": [  # published, and a draft with its editing controls
            f"/author/modules/{module_id}?part=questions",
            f"/author/modules/{draft_id}",
            f"/author/modules/{draft_id}?part=questions",
        ],
    }
    return World(ids=ids, extra=extra, queries={"/author/modules/{module_id}/source": f"?{source}"})


def _transcribed(site: Site, document_id: str, timeout: float = 240) -> None:
    """Wait until the recording's transcript is there to read and correct."""
    deadline = time.monotonic() + timeout
    with site.platform.client(site.platform.login(ORG_SLUG, AUTHOR)) as author:
        while (
            status := ok(author.get(f"/api/documents/{document_id}/transcript"))["status"]
        ) == "transcribing":
            assert time.monotonic() < deadline, f"still transcribing after {timeout} s"
            time.sleep(0.5)
    assert status == "ready", status


def _granted_access(site: Site) -> str:
    """A flagged request in another organization of the staff member's jurisdiction, its access granted."""
    platform = site.platform
    org = new_org(platform, "every")
    record(platform, org, verdicts=HIGH, prompt=f"how to {uuid.uuid4().hex}", completion="no")
    flush(platform.runtime)
    jurisdiction = platform.runtime.region_of(org.id).settings.jurisdiction
    with platform.runtime.directory.session() as ddb:
        roles = {StaffRole.OPERATOR, StaffRole.SAFETY_REVIEWER}
        staff_service.create_staff(
            ddb, email=STAFF, password=PASSWORD, roles=roles, location=jurisdiction, min_password_length=8
        )
    with platform.client() as client:
        login = {"email": STAFF, "password": PASSWORD}
        reviewer = ok(client.post("/api/platform/auth/login", json=login))["token"]
    manager = new_staff(platform, StaffRole.SAFETY_MANAGER, location=jurisdiction)
    api = "/api/platform/monitoring"
    with platform.client(reviewer) as client:
        flag = next(f for f in ok(client.get(f"{api}/flags")) if f["org_id"] == org.id)
        ask = {"request_id": flag["request_ids"][0], "justification": "Checking what the filter caught here."}
        access = ok(client.post(f"{api}/flags/{flag['id']}/access-requests", json=ask), 201)
    with platform.client(manager) as client:
        ok(client.post(f"{api}/access-requests/{access['id']}/approve", json={"minutes": 30}))
    return str(access["id"])


def test_every_page_route_is_visited_or_listed_with_a_reason(site: Site) -> None:
    served = set(page_routes(site))
    assert set(NOT_VISITED) <= served, f"listed but not served: {sorted(set(NOT_VISITED) - served)}"
    assert len(served - set(NOT_VISITED)) >= 40, "the walk over the app's routes found too few pages"


def _signed_in(make_page: Callable[..., Page], role: str) -> Page:
    page = make_page(*DESKTOP)
    if role == "staff":
        page.goto("/platform/login")
        page.get_by_label("Email").fill(STAFF)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Organizations and regions")
    elif role != "nobody":
        sign_in(page, ORG_SLUG, {"admin": ADMIN, "author": AUTHOR, "learner": LEARNER}[role])
    return page


def test_every_page_passes_axe_at_both_widths_and_fits_a_phone(
    make_page: Callable[..., Page], site: Site, world: World
) -> None:
    pages: dict[str, Page] = {}
    problems: list[str] = []
    visited = 0
    for path in page_routes(site):
        if path in NOT_VISITED:
            continue
        role = visitor(path)
        if role not in pages:
            pages[role] = _signed_in(make_page, role)
        page = pages[role]
        for url in world.urls(path):
            problems += _check(page, url, role)
            visited += 1
    # The error pages people meet: not allowed (a learner on an admin page) and not found (an id nobody has).
    problems += _check(pages["learner"], "/admin/users", "learner", status=403)
    problems += _check(pages["admin"], f"/admin/groups/{uuid.uuid4()}", "admin", status=404)
    print(f"\n{visited} page views checked at {DESKTOP[0]} and {PHONE[0]} px")
    assert not problems, "\n".join(problems)


def _check(page: Page, url: str, role: str, *, status: int = 200) -> list[str]:
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
    response = page.goto(url)
    got = response.status if response is not None else 0
    if got != status or urlparse(page.url).path != urlparse(url).path:
        return [f"{url} as {role}: HTTP {got} at {page.url}"]
    found: list[Any] = [f"{url} at {DESKTOP[0]} px: {v}" for v in axe_violations(page)]
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    found += [f"{url} at {PHONE[0]} px: {v}" for v in axe_violations(page)]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        wide = page.evaluate(WIDEST)
        found.append(f"{url} scrolls sideways by {overflow} px at {PHONE[0]} px ({wide})")
    return found
