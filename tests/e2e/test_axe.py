"""The accessibility check itself: axe-core, injected into a page, does find a violation."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.e2e.helpers import axe_violations


def test_axe_finds_an_image_without_alternative_text(make_page: Callable[..., Page]) -> None:
    page = make_page()
    page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><img src="data:,x"></main></html>')
    assert any(line.startswith("image-alt:") for line in axe_violations(page))
