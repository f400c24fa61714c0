"""The learner player in a real browser: a published module from the home page, its lessons one at a time
with the outline, previous/next and a progress bar, resuming where the learner left, the quiz one question
at a time, the score against the pass mark with each question's source, completion and the attempt history.
At phone width and by keyboard, with axe-core finding nothing at 375 and 1280 px, and without JavaScript."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.authoring.api.support import TRACEMONKEY, generate, ok
from tests.e2e.conftest import ADMIN, AUTHOR, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, shot, sign_in, tab_to
from tests.support.platform import PASSWORD

PLAYER = "player@web.example.com"
GROUP = "Player readers"
PHONE, DESKTOP = (375, 812), (1280, 900)


@pytest.fixture(scope="module")
def course(site: Site) -> dict[str, Any]:
    """A module from tracemonkey.pdf, one question at a time and a 70 % pass mark, published to a group
    holding the learner PLAYER; its key as the author sees it."""
    admin = site.platform.login(ORG_SLUG, ADMIN)
    author = site.platform.login(ORG_SLUG, AUTHOR)
    with site.platform.client(admin) as api:
        group = ok(api.post("/api/groups", json={"name": GROUP}), 201)
        body = {"email": PLAYER, "display_name": "Pat Player", "password": PASSWORD, "role": "learner"}
        ok(api.post("/api/users", json=body | {"group_id": group["id"]}), 201)
    with site.platform.client(author) as api:
        _, module_id = generate(api, TRACEMONKEY)
        ok(api.patch(f"/api/modules/{module_id}", json={"pass_mark": 70, "quiz_mode": "one"}))
        ok(api.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        module = ok(api.get(f"/api/modules/{module_id}"))
    with site.platform.client(admin) as api:
        publish = {"state": "published", "group_ids": [group["id"]], "override_reason": "Read by hand."}
        ok(api.post(f"/api/modules/{module_id}/state", json=publish))
    lessons = sum(len(c["lessons"]) for c in module["content"]["chapters"])
    assert lessons >= 2 and len(module["content"]["questions"]) >= 2
    return {"id": module_id, "title": module["title"], "content": module["content"], "lessons": lessons}


def _at_both_widths(page: Page, name: str) -> None:
    """axe-core finds nothing at desktop and phone width, and the phone width needs no sideways scrolling."""
    for width, height in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page, f"{name} at {width} px")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at 375 px"


def _answer(page: Page, question: dict[str, Any]) -> None:
    fieldset = page.locator("fieldset.question")
    if question["type"] in ("fill_in_blank", "short_answer"):
        fieldset.get_by_label("Your answer").fill(question["answer"][0])
        return
    for option in question["answer"]:
        fieldset.locator(f"input[value={json.dumps(option)}]").check()


def test_a_learner_reads_every_lesson_passes_the_quiz_and_completes(
    course: dict[str, Any], make_page: Callable[..., Page], site: Site
) -> None:
    module_id, title, total = course["id"], course["title"], course["lessons"]
    questions = course["content"]["questions"]
    with site.platform.client(site.platform.login(ORG_SLUG, PLAYER)) as api:  # a first try that fails
        wrong = [["certainly not this"] for _ in questions]
        assert (
            ok(api.post(f"/api/modules/{module_id}/attempts", json={"answers": wrong}), 201)["passed"]
            is False
        )

    page = make_page(*PHONE)
    sign_in(page, ORG_SLUG, PLAYER)
    mine = page.locator("main")
    expect(mine.get_by_role("link", name=title)).to_be_visible()
    expect(page.get_by_text("They will appear here.")).to_have_count(0)
    _at_both_widths(page, "home")
    shot(page, "learner-home")

    # The module's page: nothing seen yet; start by keyboard alone.
    mine.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".progress-bar label")).to_contain_text("0% done")
    _at_both_widths(page, "module start")
    shot(page, "learner-module-start")
    tab_to(page, "Start the first lesson")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Lesson 1 of {total}")).to_be_visible()
    tab_to(page, "Next lesson")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Lesson 2 of {total}")).to_be_visible()
    outline = page.locator("ol.outline")
    expect(outline.locator("a[aria-current=page]")).to_have_count(1)
    expect(outline.locator("li.seen")).to_have_count(2)
    _at_both_widths(page, "lesson")
    shot(page, "learner-lesson")

    # Away and back: the module offers to resume at lesson 2.
    page.goto("/learn")
    expect(page.locator("main")).to_contain_text(title)
    _at_both_widths(page, "learning list")
    page.get_by_role("link", name=title).click()
    page.get_by_role("link", name="Resume at lesson 2").click()
    expect(page.get_by_text(f"Lesson 2 of {total}")).to_be_visible()
    for number in range(3, total + 1):
        page.get_by_role("link", name="Next lesson").click()
        expect(page.get_by_text(f"Lesson {number} of {total}")).to_be_visible()
    page.get_by_role("link", name="Go to the quiz").click()

    # The quiz, one question at a time: an empty answer is said next to it; back keeps what was chosen.
    expect(page.get_by_text(f"Question 1 of {len(questions)}")).to_be_visible()
    _at_both_widths(page, "quiz")
    page.get_by_role("button", name="Next question").click()
    expect(page.locator(".field-error")).to_have_text("Answer this question before going on.")
    _answer(page, questions[0])
    page.get_by_role("button", name="Next question").click()
    expect(page.get_by_text(f"Question 2 of {len(questions)}")).to_be_visible()
    page.get_by_role("button", name="Previous question").click()
    expect(page.get_by_text(f"Question 1 of {len(questions)}")).to_be_visible()
    page.get_by_role("button", name="Next question").click()
    for i, question in enumerate(questions[1:], start=2):
        expect(page.get_by_text(f"Question {i} of {len(questions)}")).to_be_visible()
        _answer(page, question)
        last = i == len(questions)
        page.get_by_role("button", name="Send my answers" if last else "Next question").click()

    # The score against the pass mark, each question's source, and completion.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Your score: {len(questions)} of {len(questions)}"
    )
    status = page.get_by_role("status")
    expect(status).to_contain_text("You passed: 70% was needed.")
    expect(status).to_contain_text(f"You have completed “{title}”.")
    expect(page.locator(".source-quote")).to_have_count(len(questions))
    expect(page.locator(".source-quote footer").first).to_have_text(re.compile(r"^Source, page \d+$"))
    _at_both_widths(page, "score")
    shot(page, "learner-score-passed")

    # The module now: completed, with both attempts, newest first.
    page.goto(f"/learn/{module_id}")
    expect(page.locator(".progress-bar label")).to_contain_text("Completed")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Passed")
    expect(rows.nth(1)).to_contain_text("Not passed")
    _at_both_widths(page, "module completed")
    shot(page, "learner-module-completed")
    with site.platform.client(site.platform.login(ORG_SLUG, PLAYER)) as api:
        progress = ok(api.get(f"/api/modules/{module_id}/progress"))
    assert progress["completed"] is True and progress["lessons_seen"] == list(range(total))

    # The admin's view: the group's completion as a bar chart with the numbers in a table, counts only.
    admin = make_page()
    sign_in(admin, ORG_SLUG, ADMIN)
    admin.goto("/author/completion")
    # By the module's link: other tests of this site publish modules of the same document (and title).
    report = admin.locator("section.card").filter(has=admin.locator(f'a[href="/author/modules/{module_id}"]'))
    expect(report.get_by_role("img", name="Share of each group's learners")).to_be_visible()
    expect(report.locator("svg")).to_contain_text("100% completed")
    row = report.get_by_role("table", name="Completion by group").get_by_role("row", name=GROUP)
    expect(row.get_by_role("cell")).to_have_text(["1", "1", "1"])
    assert PLAYER not in admin.content()
    _at_both_widths(admin, "completion")
    shot(admin, "completion")


def test_the_player_works_without_javascript(course: dict[str, Any], browser: Browser, site: Site) -> None:
    context = browser.new_context(
        base_url=site.base_url, java_script_enabled=False, viewport={"width": 375, "height": 812}
    )
    try:
        page = context.new_page()
        sign_in(page, ORG_SLUG, PLAYER)
        page.goto(f"/learn/{course['id']}/lessons/1")
        page.get_by_role("link", name="Next lesson").click()
        expect(page.get_by_text(f"Lesson 2 of {course['lessons']}")).to_be_visible()
        page.goto(f"/learn/{course['id']}/quiz")
        _answer(page, course["content"]["questions"][0])
        page.get_by_role("button", name="Next question").click()
        expect(page.get_by_text(f"Question 2 of {len(course['content']['questions'])}")).to_be_visible()
        assert page.locator("input[type=hidden][name=q0]").count() >= 1  # the first answer rides along
    finally:
        context.close()


def test_an_author_sets_the_pass_mark_and_quiz_mode_on_the_review_page(
    course: dict[str, Any], make_page: Callable[..., Page]
) -> None:
    page = make_page()
    sign_in(page, ORG_SLUG, AUTHOR)
    page.goto(f"/author/modules/{course['id']}#quiz-settings")
    settings = page.locator("#quiz-settings")
    settings.get_by_label("Pass mark (percent)").fill("")
    settings.get_by_role("button", name="Save quiz settings").click()
    expect(page.locator("#quiz-settings-error")).to_have_text("Enter a whole number.")
    settings = page.locator("#quiz-settings")
    settings.get_by_label("Pass mark (percent)").fill("75")
    settings.get_by_label("Questions").select_option("one")
    settings.get_by_role("button", name="Save quiz settings").click()
    expect(page.get_by_role("status")).to_have_text("The quiz settings were saved.")
    expect(page.locator("#quiz-settings")).to_contain_text("Learners pass with 75%")
