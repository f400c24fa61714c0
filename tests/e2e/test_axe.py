"""The accessibility check itself (axe-core, injected into a page, does find a violation), and markup checked
on its own where a full page is slow to reach."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from playwright.sync_api import Page

from tests.e2e.helpers import axe_violations
from tutela.web.templating import environment


def test_axe_finds_an_image_without_alternative_text(make_page: Callable[..., Page]) -> None:
    page = make_page()
    page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><img src="data:,x"></main></html>')
    assert any(line.startswith("image-alt:") for line in axe_violations(page))


def test_the_job_warnings_keep_their_list_semantics(make_page: Callable[..., Page]) -> None:
    job = SimpleNamespace(
        id="j1",
        status="succeeded",
        percent=100,
        module_id="m1",
        warnings=["Page 3 was left out", "Page 7 too"],
    )
    fragment = environment().get_template("authoring/_progress.html").render(job=job, stage="Done", error="")
    page = make_page()
    page.set_content(f'<html lang="en"><title>t</title><main><h1>t</h1>{fragment}</main></html>')
    assert page.get_by_role("note", name="Left out of the draft").get_by_role("listitem").count() == 2
    assert axe_violations(page) == []
