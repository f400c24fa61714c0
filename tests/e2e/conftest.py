"""Browser tests: a live Tutela on SQLite, Debian's Chromium driven by Playwright, screenshots of each page.

Chromium comes from the system (`apt-get install chromium`, done by scripts/test.sh when run as root); no
browser is ever downloaded. Without it the browser tests are skipped locally and fail in CI (`CI` set).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.platform import PASSWORD, Platform, running_platform

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ORG = "Web Org"
ORG_SLUG = "web-org"
ADMIN = "admin@web.example.com"
AUTHOR = "author@web.example.com"
LEARNER = "learner@web.example.com"


@dataclass
class Site:
    """A running Tutela with one organization: an admin, an author and a learner (all with PASSWORD)."""

    platform: Platform
    base_url: str
    admin_token: str


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_platform("sqlite", tmp_path_factory.mktemp("web")) as platform:
        platform.new_org(ORG, admin_email=ADMIN)
        token = platform.login(ORG_SLUG, ADMIN)
        with platform.client(token) as client:
            for email, role in ((AUTHOR, "author"), (LEARNER, "learner")):
                body = {"email": email, "display_name": role.title(), "password": PASSWORD, "role": role}
                client.post("/api/users", json=body).raise_for_status()
        yield Site(platform=platform, base_url=platform.base_url, admin_token=token)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is required in CI at {CHROMIUM} (scripts/test.sh installs it as root)")
    pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope, not session: Playwright's sync API keeps an event loop on the main thread while it
    # runs, which would break every asyncio test collected after this folder.
    _require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def make_page(browser: Browser, site: Site) -> Iterator[Callable[..., Page]]:
    """A factory of pages, each in a fresh browser context (own cookies), at a given viewport."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def make(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(base_url=site.base_url, viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # Script errors and Content-Security-Policy violations fail the test; a 4xx page the test asked
        # for ("Failed to load resource") does not.
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console: {message.text}")
                if message.type == "error" and not message.text.startswith("Failed to load resource")
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture(scope="session", autouse=True)
def screenshots_folder() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
