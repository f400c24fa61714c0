"""Reviewers and notifications in the browser: an author asks the admin to review a module and submits it;
the admin sees the unread count in the header, opens the notification, sends the module back with a
comment, and the author reads it; at 1280 and 375 px with axe-core finding nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.authoring.api.support import INJECTION, generate, ok
from tests.e2e.conftest import ADMIN, AUTHOR, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, shot, sign_in


def _bell(page: Page) -> object:
    return page.get_by_role("banner").get_by_role("link", name="Notifications")


def test_a_reviewer_is_asked_notified_and_sends_back(make_page: Callable[..., Page], site: Site) -> None:
    with site.platform.client(site.platform.login(ORG_SLUG, AUTHOR)) as api:
        _, module_id = generate(api, INJECTION)
        title = ok(api.get(f"/api/modules/{module_id}"))["title"]
    with site.platform.client(site.admin_token) as api:
        before = ok(api.get("/api/notifications"))["unread"]  # other tests of this site submit modules too

    # The author is told who may publish, asks the admin to review, and submits.
    author = make_page()
    sign_in(author, ORG_SLUG, AUTHOR)
    author.goto(f"/author/modules/{module_id}")
    block = author.locator("#reviewers")
    expect(block).to_contain_text("People who may review and publish here: Admin")
    block.get_by_label("Admin").check()
    block.get_by_role("button", name="Save reviewers").click()
    expect(author.get_by_role("status")).to_contain_text("The reviewers were saved")
    expect(author.locator("#reviewers")).to_contain_text("Asked to review: Admin")
    assert_accessible(author, "reviewers block at 1280 px")
    author.get_by_role("button", name="Submit for review").click()
    expect(author.get_by_role("status")).to_contain_text("the reviewers were told")

    # The admin sees one unread notification in the header, on every page, at both widths.
    admin = make_page()
    sign_in(admin, ORG_SLUG, ADMIN)
    bell = admin.get_by_role("banner").get_by_role("link", name=f"Notifications {before + 1} unread")
    expect(bell).to_be_visible()
    bell.click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Notifications")
    item = admin.locator("li.notification").filter(
        has=admin.locator(f'a[href="/author/modules/{module_id}"]')
    )
    expect(item).to_contain_text(f"“{title}” waits for your review.")
    assert_accessible(admin, "notifications at 1280 px")
    shot(admin, "notifications")
    admin.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(admin, "notifications at 375 px")
    assert admin.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    admin.set_viewport_size({"width": 1280, "height": 900})

    # Following it leads to the module; marking it read clears the count.
    item.get_by_role("link", name=f"“{title}” waits for your review.").click()
    expect(admin).to_have_url(
        re.compile(rf"^{re.escape(site.base_url)}/author/modules/{module_id}(\?part=[\w-]+)?$")
    )
    admin.goto("/notifications")
    mine = admin.locator("li.notification").filter(
        has=admin.locator(f'a[href="/author/modules/{module_id}"]')
    )
    mine.get_by_role("button", name="Mark as read").click()
    expect(mine).not_to_have_class("notification unread")
    bell = admin.get_by_role("banner").get_by_role("link", name="Notifications")
    expect(bell).to_have_text(f"Notifications {before} unread" if before else "Notifications")

    # The admin sends it back with a comment; the author is told, with the comment.
    admin.goto(f"/author/modules/{module_id}")
    admin.get_by_label("What should the author change?").fill("Shorten the second lesson.")
    admin.get_by_role("button", name="Send back to the author").click()
    expect(admin.get_by_role("status")).to_contain_text("its author was told")
    author.goto("/notifications")
    expect(author.locator("li.notification.unread").first).to_contain_text("Shorten the second lesson.")
    author.get_by_role("button", name="Mark all as read").click()
    expect(author.locator("li.notification.unread")).to_have_count(0)
    author.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(author, "notifications, all read, at 375 px")
