"""An author's home page: a "New module" button, recently changed modules with their states, and who may
publish what they submit; at 1280 and 375 px with axe-core finding nothing."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.authoring.api.support import INJECTION, generate, ok
from tests.e2e.conftest import ADMIN, AUTHOR, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, shot, sign_in


def test_an_author_starts_from_home(make_page: Callable[..., Page], site: Site) -> None:
    with site.platform.client(site.platform.login(ORG_SLUG, AUTHOR)) as api:
        _, module_id = generate(api, INJECTION)
        title = ok(api.get(f"/api/modules/{module_id}"))["title"]
    page = make_page()
    sign_in(page, ORG_SLUG, AUTHOR)
    work = page.locator("section", has=page.get_by_role("heading", name="Your work"))
    expect(work.get_by_role("link", name="New module")).to_be_visible()
    recent = work.locator("ul.recent li").filter(has_text=title).first
    expect(recent).to_contain_text("Draft")
    expect(page.locator("#publishers")).to_contain_text(ADMIN)
    assert_accessible(page, "author home at 1280 px")
    shot(page, "home-author")
    page.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(page, "author home at 375 px")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    work.get_by_role("link", name="New module").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a module from a PDF or a recording")
