"""Small steps the browser tests share."""

from __future__ import annotations

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
