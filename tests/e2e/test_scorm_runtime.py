"""SCORM packages run in a real SCORM runtime: scorm-again (npm) in Chromium, as an LMS would launch them.

A harness page creates scorm-again's API object (`API` for 1.2, `API_1484_11` for 2004) and opens the
package's `index.html` in a frame, all served from loopback. The learner pages through the lessons, saves
and exits; a second launch resumes where they stopped, answers the quiz and finishes. The runtime must then
hold the completion, success against the module's own pass mark, score and one interaction per question,
with no request leaving loopback.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Browser, FrameLocator, Page, expect

from tests.authoring.exports.checkers import require_node_tools
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.players import answer_quiz, player_module
from tests.support.server import serve
from tutela.authoring.exports import export_module

HARNESS = """<!doctype html>
<html><head><meta charset="utf-8"><title>LMS</title><script src="/{runtime}.js"></script>
<script>
  var saved = JSON.parse(decodeURIComponent(location.hash.slice(1)) || "null");
  var api = new {api_class}({{logLevel: 4}});
  if (saved) api.loadFromJSON(saved, "");
  window.{api_name} = api;
</script></head>
<body><iframe id="sco" title="module" src="/package/index.html" style="width:100%;height:95vh">
</iframe></body></html>
"""
PASS_MARK = 55  # the module's own pass mark, not the 80 % a module.json without one gets
EDITIONS = {
    "scorm12": {"runtime": "scorm12", "api_class": "Scorm12API", "api_name": "API"},
    "scorm2004": {"runtime": "scorm2004", "api_class": "Scorm2004API", "api_name": "API_1484_11"},
}


@pytest.fixture(scope="module", params=sorted(EDITIONS))
def lms(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The package and the runtime served on loopback; yields (edition, base URL)."""
    tools = require_node_tools()
    edition: str = request.param
    root = tmp_path_factory.mktemp(edition)
    zipfile.ZipFile(
        io.BytesIO(export_module(player_module(), format_name=edition, pass_mark=PASS_MARK).data)
    ).extractall(root / "package")
    runtime = EDITIONS[edition]["runtime"]
    shutil.copy(tools / "node_modules" / "scorm-again" / "dist" / f"{runtime}.js", root / f"{runtime}.js")
    (root / "lms.html").write_text(HARNESS.format(**EDITIONS[edition]), encoding="utf-8")
    app = FastAPI()
    app.mount("/", StaticFiles(directory=root))
    with serve(app) as base_url:
        yield edition, base_url


def _launch(
    browser: Browser, base_url: str, saved: dict[str, Any] | None
) -> tuple[Page, FrameLocator, list[str]]:
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status}: {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.on("request", lambda r: None if r.url.startswith(base_url) else problems.append(f"request: {r.url}"))
    page.goto("/lms.html" + ("#" + quote(json.dumps(saved)) if saved else ""))
    return page, page.frame_locator("#sco"), problems


def _cmi(page: Page, api_name: str) -> dict[str, Any]:
    cmi: dict[str, Any] = page.evaluate(f"JSON.parse(JSON.stringify(window.{api_name}.cmi))")
    return cmi


def test_a_learner_pages_through_resumes_and_the_runtime_records_the_result(
    browser: Browser, lms: tuple[str, str]
) -> None:
    edition, base_url = lms
    api_name = EDITIONS[edition]["api_name"]
    v12 = edition == "scorm12"
    module = player_module()

    page, frame, problems = _launch(browser, base_url, None)
    expect(frame.locator("h3")).to_have_text("Lesson 1")
    frame.get_by_role("button", name="Next").click()
    expect(frame.locator("h3")).to_have_text("Lesson 2")
    frame.get_by_role("button", name="Save and exit").click()
    expect(frame.locator("main")).to_contain_text("Your place is saved")
    first = _cmi(page, api_name)
    core = first["core"] if v12 else first
    location = core["lesson_location"] if v12 else core["location"]
    assert location == "1" and json.loads(first["suspend_data"])["page"] == 1
    assert core["exit"] == "suspend"
    assert (core["lesson_status"] if v12 else first["completion_status"]) == "incomplete"
    assert problems == [], "\n".join(problems)
    page.context.close()

    resume = (
        {"core": {"entry": "resume", "lesson_location": location, "lesson_status": "incomplete"}}
        if v12
        else {"entry": "resume", "location": location, "completion_status": "incomplete"}
    )
    page, frame, problems = _launch(browser, base_url, {**resume, "suspend_data": first["suspend_data"]})
    expect(frame.locator("h3")).to_have_text("Lesson 2")  # where the learner stopped
    frame.get_by_role("button", name="Next").click()
    expect(frame.locator("h2")).to_have_text("Second chapter")
    frame.get_by_role("button", name="Go to the quiz").click()
    legends = frame.locator("legend")
    expect(legends.first).to_have_text("1. " + module.questions[0].stem)  # hostile text shown as written
    expect(frame.locator("main")).to_contain_text(f"Pass mark: {PASS_MARK}%")
    right = 3 if v12 else 2  # 60 % passes the module's 55 % (it would fail at 80 %); 40 % fails
    answer_quiz(frame, module, right)
    frame.get_by_role("button", name="Submit answers").click()
    expect(frame.locator("h2")).to_have_text(f"Your score: {right * 20}%")
    page.screenshot(path=str(SCREENSHOTS / f"{edition}-result.png"), full_page=True)
    frame.get_by_role("button", name="Finish").click()
    expect(frame.locator("main")).to_contain_text("Finished")

    done = _cmi(page, api_name)
    interactions = done["interactions"]
    assert len(interactions) == 5, interactions
    assert [i["id"] for i in interactions.values()] == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    wrong = "wrong" if v12 else "incorrect"
    assert [i["result"] for i in interactions.values()] == ["correct"] * right + [wrong] * (5 - right)
    types = [i["type"] for i in interactions.values()]
    assert types == ["choice", "choice", "true-false", "fill-in", "fill-in"]
    if v12:
        assert done["core"]["lesson_status"] == "passed"
        assert done["core"]["score"]["raw"] == "60"
        assert done["core"]["exit"] == ""
    else:
        assert done["completion_status"] == "completed"
        assert done["success_status"] == "failed"
        assert done["score"]["raw"] == "40" and float(done["score"]["scaled"]) == 0.4
        assert done["exit"] == "normal"
    assert page.evaluate(f"window.{api_name}.isTerminated()") is True
    assert problems == [], "\n".join(problems)
    page.context.close()
