"""Admin pages as people use them: one policy-rule form per kind of rule, and a not-found page that speaks to
people (no internal id); at 1280 and 375 px with axe-core finding nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, open_section, shot, sign_in


def _at_both_widths(page: Page, name: str) -> None:
    assert_accessible(page, f"{name} at 1280 px")
    page.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(page, f"{name} at 375 px")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, name
    page.set_viewport_size({"width": 1280, "height": 900})


def test_each_kind_of_policy_rule_has_its_own_form(make_page: Callable[..., Page], site: Site) -> None:
    page = make_page()
    sign_in(page, ORG_SLUG, ADMIN)
    open_section(page, "Content policies")
    kinds = page.get_by_role("navigation", name="Kind of rule")
    expect(kinds.get_by_role("link")).to_have_count(5)
    form = page.locator("form[action='/admin/policies/rules']")
    # The first kind's form: its fields only, none of the other kinds' defaults.
    expect(form.get_by_label("Terms, one per line")).to_be_visible()
    for other in ("Regular expression", "Most words per sentence", "At most this many items"):
        expect(form.get_by_label(other)).to_have_count(0)
    _at_both_widths(page, "policy form, forbidden terms")

    kinds.get_by_role("link", name="Forbidden pattern (regular expression)").click()
    expect(kinds.get_by_role("link", name="Forbidden pattern (regular expression)")).to_have_attribute(
        "aria-current", "true"
    )
    form = page.locator("form[action='/admin/policies/rules']")
    expect(form.get_by_role("group", name="Forbidden pattern (regular expression)")).to_be_visible()
    expect(form.get_by_label("Terms, one per line")).to_have_count(0)
    rule = f"No phone numbers {uuid.uuid4().hex[:4]}"
    form.get_by_label("Rule name").fill(rule)
    form.get_by_label("Regular expression").fill(r"\d{3}-\d{4}")
    _at_both_widths(page, "policy form, forbidden pattern")
    shot(page, "admin-policy-pattern")
    form.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("The policy rule was added")

    # The rule's own page edits that kind only.
    page.get_by_role("link", name=rule).click()
    expect(page.get_by_label("Regular expression")).to_have_value(r"\d{3}-\d{4}")
    expect(page.get_by_label("Terms, one per line")).to_have_count(0)
    expect(page.get_by_label("Kind of rule")).to_have_count(0)
    _at_both_widths(page, "policy rule page")
    with site.platform.client(site.admin_token) as api:
        saved = {r["name"]: r for r in api.get("/api/policies/rules").json()}[rule]
    assert saved["rule"]["kind"] == "forbidden_pattern"

    kinds_page = make_page(width=375, height=812)
    sign_in(kinds_page, ORG_SLUG, ADMIN)
    kinds_page.goto("/admin/policies?kind=reading_level#new-rule")
    form = kinds_page.locator("form[action='/admin/policies/rules']")
    expect(form.get_by_label("Most words per sentence")).to_have_value("25")
    expect(form.get_by_label("Regular expression")).to_have_count(0)


def test_a_missing_page_says_so_in_plain_words(make_page: Callable[..., Page], site: Site) -> None:
    page = make_page()
    sign_in(page, ORG_SLUG, ADMIN)
    missing = str(uuid.uuid4())
    page.goto(f"/author/modules/{missing}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("This module could not be found.")
    assert missing not in page.content()
    _at_both_widths(page, "not-found page")
    page.goto(f"/admin/policies/rules/{missing}")
    expect(page.locator("main")).to_contain_text("could not be found")
    assert missing not in page.content()
