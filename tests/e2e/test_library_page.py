"""The AI library in a real browser: an author sees whether each of their documents may be quoted and by
which AI resources, shares one and takes it out again (checked through the REST API), then writes one
module from two library documents and reads citations naming each document with its page; axe-core finds
no violation on the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.authoring.ingest.conftest import build_text_pdf
from tests.e2e.conftest import AUTHOR, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, open_section, shot, sign_in

TRAVEL = [
    "Travel expenses are reimbursed within thirty days of submitting the receipts.",
    "Employees travel by train in second class for trips shorter than four hours.",
    "Hotel rooms are booked through the travel desk at least one week in advance.",
    "Meals during business travel are covered up to forty euros per day.",
    "Taxi rides are reimbursed only when no public transport runs at that hour.",
]
SAFETY = [
    "Fire doors stay closed at all times and are never blocked by furniture.",
    "Every floor has two marked escape routes leading to the assembly point.",
    "Fire drills take place twice a year and everyone leaves the building.",
    "First aid kits hang next to the kitchen on every floor of the office.",
    "Accidents are reported to the safety officer on the day they happen.",
]


def _upload(site: Site, token: str, name: str, lines: list[str]) -> str:
    with site.platform.client(token) as api:
        files = {"file": (name, build_text_pdf(lines), "application/pdf")}
        response = api.post("/api/documents", files=files)
        response.raise_for_status()
        document_id: str = response.json()["id"]
        return document_id


def _entry(site: Site, token: str, document_id: str) -> dict[str, Any]:
    with site.platform.client(token) as api:
        entry: dict[str, Any] = api.get(f"/api/documents/{document_id}/library").json()
        return entry


def test_an_author_shares_documents_and_writes_one_module_from_two(
    make_page: Callable[..., Page], site: Site
) -> None:
    token = site.platform.login(ORG_SLUG, AUTHOR)
    travel = _upload(site, token, "travel-policy.pdf", TRAVEL)
    safety = _upload(site, token, "fire-safety.pdf", SAFETY)
    page = make_page()
    sign_in(page, ORG_SLUG, AUTHOR)
    open_section(page, "Authoring")
    page.get_by_role("link", name="Your documents in the AI library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AI library")
    card = page.locator(f"#doc-{travel}")
    expect(card.locator(".library-status")).to_contain_text("Not in the AI library")
    assert_accessible(page, "library page")

    # Nothing ticked: a sentence says what to do, and nothing changes.
    card.get_by_role("button", name="Add to the AI library").click()
    card = page.locator(f"#doc-{travel}")
    expect(card.get_by_role("alert")).to_have_text(
        "Choose at least one AI resource that may quote the document."
    )
    assert _entry(site, token, travel)["in_library"] is False
    assert_accessible(page, "library page with an error")

    # Shared with the default AI resource: the page says so in words, and so does the API.
    card.get_by_label("default").check()
    card.get_by_role("button", name="Add to the AI library").click()
    expect(page.get_by_role("status")).to_contain_text("The document is in the AI library")
    card = page.locator(f"#doc-{travel}")
    expect(card.locator(".library-status")).to_contain_text("These AI resources may quote it: default.")
    entry = _entry(site, token, travel)
    assert entry["in_library"] is True and len(entry["resources"]) == 1
    shot(page, "author-library-shared")
    assert_accessible(page, "library page, shared")

    # Taken out again: its index is gone.
    card.get_by_role("button", name="Take it out of the AI library").click()
    expect(page.get_by_role("status")).to_contain_text("taken out of the AI library")
    expect(page.locator(f"#doc-{travel} .library-status")).to_contain_text("Not in the AI library")
    assert _entry(site, token, travel)["in_library"] is False

    # Both documents in the library; the new-module form lists them, and one module is written from both.
    for document_id in (travel, safety):
        card = page.locator(f"#doc-{document_id}")
        card.get_by_label("default").check()
        card.get_by_role("button", name="Add to the AI library").click()
        expect(page.locator(f"#doc-{document_id} .library-status")).to_contain_text("In the AI library")
    page.goto("/author/new")
    choices = page.get_by_role("group", name=re.compile("Documents of the AI library"))
    expect(choices).to_be_visible()
    assert_accessible(page, "new module form with library documents")
    choices.get_by_label(re.compile("travel-policy.pdf")).first.check()
    choices.get_by_label(re.compile("fire-safety.pdf")).first.check()
    page.get_by_role("button", name="Generate").click()
    expect(page).to_have_url(re.compile(r"/author/jobs/"))
    draft = page.get_by_role("link", name="Review the draft")
    expect(draft).to_be_visible(timeout=90_000)
    draft.click()
    expect(page).to_have_url(re.compile(r"/author/modules/[^/?#]+"))
    # The workspace shows one chapter at a time, one chapter per document; each cites its own by name.
    base = page.url.split("?")[0].split("#")[0]
    named: set[str] = set()
    for part in ("chapter-0", "chapter-1"):
        page.goto(f"{base}?part={part}")
        named |= {re.sub(r", page \d+$", "", s.strip()) for s in page.locator("a.cite").all_inner_texts()}
    assert named == {"“travel-policy.pdf”", "“fire-safety.pdf”"}, named
    cited = page.locator("a.cite").first
    name = re.sub(r", page \d+$", "", cited.inner_text().strip()).strip("“”")
    cited.click()
    expect(page.locator("#source-title")).to_contain_text(name)
    expect(page.locator("#source-view mark")).to_be_visible()
    shot(page, "author-module-from-two-documents")
    assert_accessible(page, "review page of a module from two documents")

    # The organization's library is left empty again for the other browser tests.
    with site.platform.client(token) as api:
        for document_id in (travel, safety):
            api.delete(f"/api/documents/{document_id}/library").raise_for_status()
