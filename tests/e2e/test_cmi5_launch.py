"""The cmi5 AU launched as an LMS launches it, in Chromium, against a local LMS speaking cmi5 and xAPI.

No cmi5 LMS installs here, so the LMS side is a fake at the network boundary (loopback HTTP, the real
protocol): the fetch URL hands out one token per session, the LRS checks the token and the xAPI version
header on every call, serves LMS.LaunchData and state documents and records statements. The course
structure is checked against the official cmi5 XSD; the AU must send the cmi5 statements in order, with
the registration and session id of its launch, resume a suspended session and report the score.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Browser, Page, expect

from tests.authoring.exports.checkers import SCHEMAS, schema_errors
from tests.e2e.players import answer_quiz, player_module
from tests.support.server import serve
from tutela.authoring.exports import export_module

SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
VERBS = "http://adlnet.gov/expapi/verbs/"


@dataclass
class FakeLms:
    """What the LMS side saw: statements in order, state documents, tokens handed out."""

    statements: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # token → session id
    fetched: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def _lms_app(root: Path, lms: FakeLms) -> FastAPI:
    app = FastAPI()

    def check(request: Request) -> str:
        if request.headers.get("x-experience-api-version") != "1.0.3":
            lms.problems.append(f"{request.url.path}: no X-Experience-API-Version")
        token = request.headers.get("authorization", "").removeprefix("Basic ")
        if token not in lms.tokens:
            raise HTTPException(401)
        return lms.tokens[token]

    @app.post("/fetch/{session}")
    def fetch(session: str) -> dict[str, str]:
        if session in lms.fetched:  # the fetch URL answers once per session
            return {"error-code": "1", "error-text": "already fetched"}
        lms.fetched.add(session)
        token = base64.b64encode(f"au:{session}".encode()).decode()
        lms.tokens[token] = session
        return {"auth-token": token}

    @app.get("/lrs/activities/state")
    def get_state(request: Request, stateId: str, registration: str) -> Response:
        session = check(request)
        if stateId == "LMS.LaunchData":
            data = {
                "contextTemplate": {"extensions": {SESSION: session}},
                "launchMode": "Normal",
                "moveOn": "CompletedAndPassed",
                "masteryScore": 0.8,
            }
            return Response(json.dumps(data), media_type="application/json")
        key = f"{registration}/{stateId}"
        if key not in lms.states:
            return Response(status_code=404)
        return Response(json.dumps(lms.states[key]), media_type="application/json")

    @app.put("/lrs/activities/state", status_code=204)
    async def put_state(request: Request, stateId: str, registration: str) -> None:
        check(request)
        lms.states[f"{registration}/{stateId}"] = await request.json()

    @app.post("/lrs/statements")
    async def statements(request: Request) -> list[str]:
        session = check(request)
        statement = await request.json()
        statement["_session"] = session
        lms.statements.append(statement)
        return [statement["id"]]

    app.mount("/au", StaticFiles(directory=root, html=True))
    return app


@pytest.fixture
def lms(tmp_path: Path) -> Iterator[tuple[FakeLms, str]]:
    export = export_module(player_module(), format_name="cmi5")
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    assert schema_errors(archive.read("cmi5.xml"), SCHEMAS / "cmi5" / "CourseStructure.xsd") == []
    archive.extractall(tmp_path)
    state = FakeLms()
    with serve(_lms_app(tmp_path, state)) as base_url:
        yield state, base_url


def _launch(browser: Browser, base_url: str, registration: str) -> tuple[Page, list[str]]:
    session = uuid.uuid4().hex
    actor = {"objectType": "Agent", "account": {"homePage": base_url, "name": "learner-1"}}
    query = urlencode(
        {
            "endpoint": f"{base_url}/lrs/",
            "fetch": f"{base_url}/fetch/{session}",
            "actor": json.dumps(actor),
            "registration": registration,
            "activityId": "urn:tutela:module:test:au",
        }
    )
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("request", lambda r: None if r.url.startswith(base_url) else problems.append(f"request: {r.url}"))
    page.goto(f"/au/index.html?{query}")
    return page, problems


def _verbs(statements: list[dict[str, Any]]) -> list[str]:
    return [s["verb"]["id"].removeprefix(VERBS) for s in statements]


def test_the_au_sends_the_cmi5_statements_resumes_and_reports_the_score(
    browser: Browser, lms: tuple[FakeLms, str]
) -> None:
    seen, base_url = lms
    registration = str(uuid.uuid4())
    module = player_module()

    page, problems = _launch(browser, base_url, registration)
    expect(page.locator("h3")).to_have_text("Lesson 1")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Save and exit").click()
    expect(page.locator("main")).to_contain_text("Your place is saved")
    assert _verbs(seen.statements) == ["initialized", "terminated"]
    first_session = seen.statements[0]["_session"]
    page.context.close()

    page, more_problems = _launch(browser, base_url, registration)
    expect(page.locator("h3")).to_have_text("Lesson 2")  # resumed from the state document
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Go to the quiz").click()
    expect(page.locator(".source").first).to_have_text("Pass mark: 80%")  # the LMS's masteryScore
    answer_quiz(page, module, 4)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator("h2")).to_have_text("Your score: 80%")
    page.get_by_role("button", name="Finish").click()
    expect(page.locator("main")).to_contain_text("Finished")
    page.context.close()

    second = seen.statements[2:]
    assert _verbs(second) == ["initialized", *["answered"] * 5, "completed", "passed", "terminated"]
    for statement in seen.statements:
        assert statement["context"]["registration"] == registration
        assert statement["context"]["extensions"][SESSION] == statement["_session"]
        assert statement["actor"]["account"]["name"] == "learner-1"
    assert second[0]["_session"] != first_session
    categories = {
        s["verb"]["id"].removeprefix(VERBS): [
            c["id"] for c in s["context"].get("contextActivities", {}).get("category", [])
        ]
        for s in second
    }
    assert categories["initialized"] == [CMI5] and categories["terminated"] == [CMI5]
    assert categories["completed"] == [CMI5, MOVE_ON] and categories["passed"] == [CMI5, MOVE_ON]
    assert categories["answered"] == []  # "cmi5 allowed" statements carry no cmi5 category
    passed = second[7]
    assert passed["result"]["score"]["scaled"] == 0.8 and passed["result"]["success"] is True
    assert (
        passed["context"]["extensions"]["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"] == 0.8
    )
    answered = [s for s in second if s["verb"]["id"].endswith("answered")]
    assert [a["result"]["success"] for a in answered] == [True, True, True, True, False]
    assert answered[0]["object"]["definition"]["name"]["und"] == module.questions[0].stem
    assert problems == [] and more_problems == [] and seen.problems == []
