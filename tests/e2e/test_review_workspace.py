"""The reviewer's workspace in a real browser: the generated lesson beside its cited source page with the
quote highlighted (switching citations switches the page), a check finding that moves the focus to its
lesson, accept and reject per item, inline edit and regenerating one lesson in place, at 1280 and 375 px
with axe-core finding nothing, and the same controls without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.authoring.api.support import TRACEMONKEY, generate, ok
from tests.e2e.conftest import ADMIN, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, shot, sign_in

PHONE, DESKTOP = (375, 812), (1280, 900)


@pytest.fixture(scope="module")
def draft(site: Site) -> dict[str, Any]:
    """A draft module from tracemonkey.pdf (the admin's, who may also regenerate), one of its questions
    citing a sentence the source does not have, so the check report has a finding on it."""
    admin = site.platform.login(ORG_SLUG, ADMIN)
    with site.platform.client(admin) as api:
        _, module_id = generate(api, TRACEMONKEY)
        module = ok(api.get(f"/api/modules/{module_id}"))
        bad = dict(module["content"]["questions"][1])
        bad["citation"] = {"page": 2, "quote": "Tracing JITs were invented in 1850 by Ada Lovelace."}
        ok(api.put(f"/api/modules/{module_id}/questions/1", json=bad))
        module = ok(api.get(f"/api/modules/{module_id}"))
    chapters = module["content"]["chapters"]
    big = max(range(len(chapters)), key=lambda c: len(chapters[c]["lessons"]))
    lessons = [(big, i) for i, _ in enumerate(chapters[big]["lessons"])]
    assert len(lessons) >= 3, "a chapter with three lessons, reviewed on one page"
    return {"id": module_id, "content": module["content"], "lessons": lessons, "part": f"chapter-{big}"}


def _open(page: Page, draft: dict[str, Any], part: str = "") -> None:
    sign_in(page, "Web Org", ADMIN)
    page.goto(f"/author/modules/{draft['id']}?part={part or draft['part']}")
    expect(page.get_by_role("heading", name="Check report")).to_be_visible()


def _at_both_widths(page: Page, name: str) -> None:
    for width, height in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page, f"{name} at {width} px")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width} px"
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})


def test_the_source_page_sits_beside_the_lesson_and_follows_the_chosen_citation(
    make_page: Callable[..., Page], draft: dict[str, Any]
) -> None:
    page = make_page(*DESKTOP)
    _open(page, draft)
    (c, i) = draft["lessons"][0]
    lesson = page.locator(f"#lesson-{c}-{i}")
    source = page.locator("#source-view")
    # Side by side at desktop width: the source panel to the right of the lesson, both in view.
    lesson_box, source_box = lesson.bounding_box(), source.bounding_box()
    assert lesson_box and source_box and source_box["x"] >= lesson_box["x"] + lesson_box["width"]
    first = draft["content"]["chapters"][c]["lessons"][i]["citations"][0]
    expect(source.locator("mark")).to_have_text(re.compile(re.escape(first["quote"].split()[0])))
    expect(source).to_contain_text(f"Page {first['page']} of the source")
    shot(page, "review-workspace")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"\nreview page height at 1280 px, chapter of {len(draft['lessons'])} lessons: {height} px")

    # Another lesson's citation switches the source page in place, marked as the one shown.
    (c, i) = draft["lessons"][1]
    other = draft["content"]["chapters"][c]["lessons"][i]["citations"][0]
    link = page.locator(f"#lesson-{c}-{i} a.cite").first
    link.click()
    expect(source).to_contain_text(f"Page {other['page']} of the source · cited by chapter {c + 1}")
    expect(source.locator("mark")).to_contain_text(other["quote"].split()[-1])
    expect(link).to_have_attribute("aria-current", "true")
    expect(page.locator("a.cite[aria-current]")).to_have_count(1)
    expect(source).to_be_focused()
    # Still beside the lesson after scrolling (sticky).
    middle = draft["lessons"][len(draft["lessons"]) // 2]
    page.evaluate(f"document.getElementById('lesson-{middle[0]}-{middle[1]}').scrollIntoView()")
    box = source.bounding_box()
    assert box is not None and 0 <= box["y"] < DESKTOP[1]
    _at_both_widths(page, "review workspace")

    # At phone width the panel stacks above the lessons: the columns share one left edge.
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    lesson_box, source_box = lesson.bounding_box(), source.bounding_box()
    assert lesson_box and source_box and abs(source_box["x"] - lesson_box["x"]) < 2
    assert source_box["y"] < lesson_box["y"]
    shot(page, "review-workspace-phone")


def test_a_finding_moves_the_focus_to_its_question(
    make_page: Callable[..., Page], draft: dict[str, Any]
) -> None:
    page = make_page(*DESKTOP)
    _open(page, draft)
    # From a chapter, the finding on question 2 opens the questions with the focus on that question.
    page.locator("#checks .findings a", has_text="Question 2").first.click()
    expect(page).to_have_url(re.compile(r"\?part=questions#question-1$"))
    expect(page.locator("#question-1")).to_be_focused()
    expect(page.locator("#question-1 .item-status")).to_contain_text("finding")
    # On the same part, by keyboard: the focus moves without a page load.
    page.evaluate("window.__notReloaded = true")
    page.locator("#question-0 a.cite").focus()
    page.locator("#checks .findings a", has_text="Question 2").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#question-1")).to_be_focused()
    assert page.evaluate("window.__notReloaded === true")
    assert_accessible(page, "questions part")


def test_accept_reject_edit_and_regenerate_in_place(
    make_page: Callable[..., Page], draft: dict[str, Any]
) -> None:
    page = make_page(*DESKTOP)
    _open(page, draft)
    page.evaluate("window.__notReloaded = true")
    (c0, i0), (c1, i1), (c2, i2) = draft["lessons"][:3]
    first, second, third = (page.locator(f"#lesson-{c}-{i}") for c, i in ((c0, i0), (c1, i1), (c2, i2)))

    first.get_by_role("button", name="Accept").click()
    expect(first.locator(".item-status")).to_contain_text("Accepted")
    expect(first.get_by_role("button", name="Accept")).to_have_attribute("aria-pressed", "true")
    expect(first.get_by_role("button", name="Accept")).to_be_focused()
    second.get_by_role("button", name="Reject").click()
    expect(second.locator(".item-status")).to_contain_text("Rejected: left out when published")
    parts = page.get_by_role("navigation", name="Parts of the module")
    parts.get_by_role("link", name="Questions").click()
    question = page.locator("#question-0")
    question.get_by_role("button", name="Reject").click()
    expect(question.locator(".item-status")).to_contain_text("Rejected")
    expect(page.locator("#review-progress")).to_contain_text("2 rejected")
    _at_both_widths(page, "questions with decisions")
    parts.get_by_role("link", name=f"Chapter {c0 + 1}").click()
    expect(second.locator(".item-status")).to_contain_text("Rejected")
    _at_both_widths(page, "review with decisions")
    page.evaluate("window.__notReloaded = true")

    # Inline edit: the lesson turns into its form in place, and back.
    third.get_by_role("link", name="Edit").click()
    expect(third.get_by_label("Lesson title")).to_be_focused()
    third.get_by_label("Lesson title").fill("Written by hand")
    third.get_by_role("button", name="Save lesson").click()
    expect(third.get_by_role("heading", name="Written by hand")).to_be_visible()
    expect(third.locator(".item-status")).to_contain_text("Not reviewed yet")

    # Regenerate that one lesson: it is written again in place; the accepted and rejected ones stay.
    third.get_by_role("button", name="Regenerate").click()
    expect(third.get_by_role("heading", name="Written by hand")).to_have_count(0, timeout=30_000)
    expect(first.locator(".item-status")).to_contain_text("Accepted")
    expect(second.locator(".item-status")).to_contain_text("Rejected")
    assert page.evaluate("window.__notReloaded === true"), "no full page load was needed"
    shot(page, "review-decisions")

    # Taking a decision back.
    first.get_by_role("button", name="Accept").click()
    expect(first.locator(".item-status")).to_contain_text("Not reviewed yet")
    response = page.request.get(f"/api/modules/{draft['id']}/items")
    assert response.ok, response.text()
    decisions = {i["item"]: i["decision"] for i in response.json()["items"]}
    assert decisions[f"lesson:{c1}:{i1}"] == "rejected" and decisions[f"lesson:{c0}:{i0}"] is None


def test_the_workspace_works_without_javascript(browser: Browser, site: Site, draft: dict[str, Any]) -> None:
    context = browser.new_context(
        base_url=site.base_url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        _open(page, draft)
        (c, i) = draft["lessons"][1]
        lesson = page.locator(f"#lesson-{c}-{i}")
        page.goto(f"/author/modules/{draft['id']}?part=questions")
        page.get_by_role("navigation", name="Parts of the module").get_by_role(
            "link", name=f"Chapter {c + 1}"
        ).click()
        # A citation link reloads the page with that source shown.
        lesson.locator("a.cite").first.click()
        expect(page).to_have_url(re.compile(rf"part={draft['part']}&cite=lesson-{c}-{i}\.0#source-view$"))
        expect(page.locator("#source-view")).to_contain_text(f"cited by chapter {c + 1}, lesson {i + 1}")
        # Accepting posts the form and comes back to the lesson's anchor.
        page.locator(f"#lesson-{c}-{i}").get_by_role("button", name="Accept").click()
        expect(page).to_have_url(re.compile(rf"#lesson-{c}-{i}$"))
        expect(page.locator(f"#lesson-{c}-{i} .item-status")).to_contain_text("Accepted")
        # Regenerating a question by form post too.
        page.goto(f"/author/modules/{draft['id']}?part=questions")
        question = page.locator("#question-2")
        stem = question.locator(".stem").inner_text()
        question.get_by_role("button", name="Regenerate").click()
        expect(page).to_have_url(re.compile(r"#question-2$"))
        expect(page.locator("#question-2 .stem")).not_to_have_text(stem)
        expect(page.get_by_role("status")).to_contain_text("written again")
    finally:
        context.close()
