"""Authoring and learning in a real browser: an author turns tracemonkey.pdf into a draft, follows the
progress bar, opens a citation and the check report; an admin publishes it to one group; a learner of that
group takes the quiz while a learner outside it cannot see the module; with AI switched off the author can
no longer generate."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.authoring.exports.checkers import parse_gift
from tests.e2e.conftest import ADMIN, AUTHOR, LEARNER, ORG_SLUG, SCREENSHOTS, Site
from tests.e2e.helpers import open_section, shot, sign_in
from tests.support.platform import PASSWORD

TRACEMONKEY = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "real" / "tracemonkey.pdf"
OUTSIDER = "outsider@web.example.com"
GROUP = "TraceMonkey readers"


def _prepare(site: Site) -> None:
    """A group holding the learner, and a second learner outside it (through the REST API)."""
    with site.platform.client(site.admin_token) as api:
        group = api.post("/api/groups", json={"name": GROUP}).json()
        learner = next(u for u in api.get("/api/users").json() if u["email"] == LEARNER)
        body = {"user_id": learner["id"], "role": "learner"}
        api.put(f"/api/groups/{group['id']}/members", json=body).raise_for_status()
        outsider = {"email": OUTSIDER, "display_name": "Outsider", "password": PASSWORD, "role": "learner"}
        api.post("/api/users", json=outsider).raise_for_status()


def _author_generates(page: Page) -> str:
    """Upload a refused file, then tracemonkey.pdf; follow the progress bar to the draft; its id."""
    open_section(page, "Authoring")
    shot(page, "author-modules-empty")
    page.get_by_role("link", name="Create a module from a PDF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a module from a PDF or a recording")
    file_input = page.get_by_label("PDF file")
    file_input.set_input_files({"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"just text"})
    page.get_by_role("button", name="Upload and generate").click()
    error = page.locator("#file-error")
    expect(error).to_be_visible()
    assert error.inner_text().endswith(".") and "Traceback" not in page.content()
    expect(page.get_by_label("PDF file")).to_have_attribute("aria-invalid", "true")
    shot(page, "author-upload-refused")

    page.get_by_label("PDF file").set_input_files(str(TRACEMONKEY))
    page.get_by_role("button", name="Upload and generate").click()
    expect(page).to_have_url(re.compile(r"/author/jobs/"))
    expect(page.locator("progress#job-bar")).to_be_attached()
    shot(page, "author-generation-progress")
    draft = page.get_by_role("link", name="Review the draft")
    expect(draft).to_be_visible(timeout=60_000)
    expect(page.locator("progress#job-bar")).to_have_attribute("value", "100")
    draft.click()
    expect(page).to_have_url(re.compile(r"/author/modules/[^/?#]+"))
    match = re.search(r"/author/modules/([^/?#]+)", page.url)
    assert match is not None
    return match.group(1)


def _author_reviews(page: Page) -> None:
    """A citation's page with the quote highlighted beside the lesson; the check report's links; an edit."""
    expect(page.get_by_role("heading", name="Check report")).to_be_visible()
    shot(page, "author-review")
    first = page.locator("article.lesson a.cite").last
    first.click()
    expect(first).to_have_attribute("aria-current", "true")
    expect(page.locator("#source-view mark")).to_be_visible()
    shot(page, "author-citation")

    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Check report").click()
    report = page.locator("#checks")
    expect(report.locator(".check-notes li")).to_have_count(3)  # grounding, safety, conformity
    for link in report.locator(".findings a").all()[:3]:
        target = link.get_attribute("href") or ""
        assert re.search(r"/author/modules/[^?#]+(\?part=[\w-]+)?#[\w-]+$", target), target
    report.screenshot(path=str(SCREENSHOTS / "author-check-report.png"))

    lesson = page.locator("article.lesson").first
    lesson.get_by_role("link", name="Edit").click()
    lesson.get_by_label("Lesson title").fill("How tracing starts")
    lesson.get_by_role("button", name="Save lesson").click()
    expect(page.locator("article.lesson h4").first).to_contain_text("How tracing starts")

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("submitted for review")


def _author_exports(page: Page) -> None:
    """The review page lists the LMS formats with what each leaves out; the GIFT download parses."""
    page.get_by_role("navigation", name="On this page").get_by_role(
        "link", name="Export to a learning platform"
    ).click()
    section = page.locator("#exports")
    expect(section.get_by_role("link")).to_have_text(
        ["SCORM 1.2", "SCORM 2004 4th edition", "cmi5", "QTI 2.1", "QTI 3.0", "Moodle XML", "GIFT", "Aiken"]
    )
    section.screenshot(path=str(SCREENSHOTS / "author-exports.png"))
    with page.expect_download() as download:
        section.get_by_role("link", name="GIFT").click()
    assert download.value.suggested_filename.endswith(".gift.txt")
    gift = Path(download.value.path()).read_text(encoding="utf-8")
    assert len(parse_gift(gift)) == int(
        section.locator("tr", has_text="GIFT").locator("td").nth(1).inner_text().split()[0]
    )


def _admin_publishes(page: Page, module_id: str) -> None:
    """Choose the group and publish, with a written reason when the checks failed."""
    page.goto(f"/author/modules/{module_id}#workflow")
    publish = page.locator("form#publish")
    publish.get_by_role("button", name="Publish").click()  # no group chosen: refused next to the form
    expect(page.locator("#publish-error")).to_have_text("Choose at least one group to publish to.")
    publish = page.locator("form#publish")
    publish.get_by_label(GROUP).check()
    reason = publish.get_by_label(re.compile("Why publish although"))
    if reason.count():
        reason.fill("Reviewed by hand against the paper; the flagged quotes differ only in typography.")
    shot(page, "admin-publish")
    publish.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("published")
    expect(page.locator(".badge.state-published")).to_be_visible()


def _learner_takes_quiz(page: Page, module_id: str, title: str) -> None:
    open_section(page, "Learning")
    shot(page, "learner-modules")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    shot(page, "learner-module")
    page.get_by_role("link", name=re.compile("Take the quiz")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Quiz: {title}")
    questions = page.locator("fieldset.question")
    count = questions.count()
    assert count > 0
    page.get_by_role("button", name="Send my answers").click()  # nothing answered: said next to each
    expect(page.locator(".field-error")).to_have_count(count)
    for fieldset in page.locator("fieldset.question").all():
        choices = fieldset.locator("input[type=radio], input[type=checkbox]")
        if choices.count():
            choices.first.check()
        else:
            fieldset.get_by_label("Your answer").fill("trace")
    shot(page, "learner-quiz")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"of {count}")
    expect(page.locator(".result .explanation")).to_have_count(count)
    shot(page, "learner-score")


def test_author_to_learner(site: Site, make_page: Callable[..., Page]) -> None:
    _prepare(site)
    author = make_page()
    sign_in(author, ORG_SLUG, AUTHOR)
    module_id = _author_generates(author)
    _author_reviews(author)
    _author_exports(author)
    title = author.get_by_role("heading", level=1).inner_text()

    admin = make_page()
    sign_in(admin, ORG_SLUG, ADMIN)
    _admin_publishes(admin, module_id)

    learner = make_page(390, 844)  # phone width
    sign_in(learner, ORG_SLUG, LEARNER)
    _learner_takes_quiz(learner, module_id, title)

    outsider = make_page()
    sign_in(outsider, ORG_SLUG, OUTSIDER)
    open_section(outsider, "Learning")
    expect(outsider.get_by_role("link", name=title)).to_have_count(0)
    response = outsider.goto(f"/learn/{module_id}")
    assert response is not None and response.status == 404
    expect(outsider.get_by_role("heading", level=1)).to_have_text("Not found")
    assert "Authoring" not in outsider.get_by_role("navigation", name="Main").inner_text()
    shot(outsider, "outsider-not-found")

    # AI switched off: the upload page says generation is off and a post is refused.
    try:
        admin.goto("/admin/settings")
        admin.get_by_role("button", name="Switch AI features off").click()
        expect(admin.get_by_role("status")).to_contain_text("AI features are off")
        author.goto("/author/new")
        expect(author.locator("#ai-off")).to_contain_text("Generation is off")
        expect(author.get_by_role("button", name="Upload and generate")).to_be_disabled()
        shot(author, "author-ai-off")
        token = author.locator("input[name=csrf_token]").first.get_attribute("value")
        assert token
        refused = author.request.post(
            "/author/new",
            multipart={
                "csrf_token": token,
                "file": {"name": "t.pdf", "mimeType": "application/pdf", "buffer": TRACEMONKEY.read_bytes()},
            },
        )
        assert refused.status == 403
        assert "AI features are switched off for this organization." in refused.text()
    finally:
        with site.platform.client(site.admin_token) as api:
            api.patch("/api/org", json={"ai_enabled": True}).raise_for_status()
