"""Small steps the browser tests share."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS
from tests.support.platform import PASSWORD


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot under test-artifacts/screenshots."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, organization: str, email: str, password: str = PASSWORD) -> None:
    """Fill and send the sign-in form, then wait for the home page."""
    page.goto("/login")
    page.get_by_label("Organization").fill(organization)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def main_nav(page: Page) -> list[str]:
    """The link texts of the main navigation."""
    return [
        t.strip() for t in page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()
    ]


def open_section(page: Page, name: str) -> None:
    """Follow a link of the main navigation and wait until it is the current page."""
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)
    link.click()
    expect(link).to_have_attribute("aria-current", "page")


def tab_to(page: Page, name: str | re.Pattern[str], *, limit: int = 80) -> None:
    """Press Tab until the link or button called `name` (its text, or a pattern it matches) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = " ".join(page.evaluate("document.activeElement.innerText").split())
        if text == name or (isinstance(name, re.Pattern) and name.fullmatch(text)):
            return
    raise AssertionError(f"{name!r} cannot be reached with the Tab key")


def fits_a_phone(page: Page, name: str) -> None:
    """axe-core finds nothing and the page needs no sideways scrolling (at the page's present width)."""
    assert_accessible(page, name)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow} px"


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


@cache
def _axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is required in CI at {AXE} (scripts/test.sh installs it)")
        pytest.skip(f"axe-core is not installed at {AXE} (npm install --prefix tests/e2e)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Run axe-core (WCAG 2.1 A and AA, and best practices) on the page as it is; one line per problem.

    The script is evaluated through the browser's debugging protocol, so the page's Content-Security-Policy
    (which forbids inline scripts) stays as strict as it is for people."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(
                v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).join(", ")})`
            );
        }"""
    )
    return [str(line) for line in found]


def assert_accessible(page: Page, name: str) -> None:
    """axe-core finds no violation on the page (named in the message)."""
    problems = axe_violations(page)
    assert not problems, f"{name}: {problems}"
