"""Malformed input never gives a 500: every route with a JSON body, gateway and REST alike, answers a bad
body with a 4xx in the one error shape, carrying the request id, and the access log records that status.
And the one unexpected error still answers with the request id and is logged as a 500.

Routes are enumerated from the app's own OpenAPI description, so a new route is covered without a change."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from fastapi import FastAPI

from tests.gateway.monitoring.support import Org, new_org
from tests.support.platform import Platform
from tests.support.server import serve
from tutela.app import create_app
from tutela.gateway.wire.json_body import MAX_DEPTH, JsonRefused, loads

BAD_BODIES = {
    "nested 1,000 deep": b'{"a":' + b"[" * 1000 + b"]" * 1000 + b"}",
    "nested 100,000 deep, unterminated": b"[" * 100_000,
    "a 5,000-digit number": b'{"n":' + b"9" * 5000 + b"}",
    "invalid UTF-8": b'{"name":"\xff\xfe"}',
    "not JSON": b"{not json",
}
GATEWAY_ONLY = {  # the REST models refuse these as values; the gateway forwards extra fields, so refuses here
    "nested 200 deep": b'{"model":"extractive","metadata":' + b'{"a":' * 200 + b"1" + b"}" * 201,
    "1e999": b'{"model":"extractive","temperature":1e999}',
    "NaN": b'{"model":"extractive","temperature":NaN}',
}


def _json_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            gateway = path.startswith(("/v1/", "/openai/"))
            if "application/json" in content or (gateway and method == "post"):
                found.append((method.upper(), path.replace("{", "").replace("}", "")))
    return found


@pytest.fixture(scope="module")
def org(platform: Platform) -> Org:
    return new_org(platform, "malformed")


@pytest.fixture(scope="module")
def routes(platform: Platform) -> list[tuple[str, str]]:
    found = _json_routes(create_app(runtime=platform.runtime))
    assert ("POST", "/v1/chat/completions") in found and ("POST", "/api/groups") in found
    assert ("POST", "/openai/deployments/deployment/chat/completions") in found
    return found


def _token(org: Org, path: str) -> str:
    return org.key if path.startswith(("/v1/", "/openai/")) else org.admin_token


def _url(path: str) -> str:
    return path.replace("deployment/", "extractive/") + (
        "?api-version=2024-10-21" if "/openai/" in path else ""
    )


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_every_json_route_refuses_a_bad_body_with_400_the_request_id_and_a_logged_status(
    platform: Platform,
    org: Org,
    routes: list[tuple[str, str]],
    name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures, answered = [], {}
    with platform.client() as client, caplog.at_level(logging.INFO, logger="tutela.access"):
        for method, path in routes:
            headers = {"content-type": "application/json", "authorization": f"Bearer {_token(org, path)}"}
            response = client.request(method, _url(path), content=BAD_BODIES[name], headers=headers)
            error = response.json().get("error", {}) if response.content else {}
            if response.status_code != 400 or set(error) != {"message", "type", "param", "code"}:
                failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            elif error["type"] != "invalid_request_error" or not error["message"]:
                failures.append(f"{method} {path}: {error}")
            answered[response.headers.get("x-request-id", "")] = f"{method} {path}"
        assert "" not in answered, f"no x-request-id: {answered.get('')}"
        deadline = time.monotonic() + 5  # the server logs each line just after the answer has gone out
        while time.monotonic() < deadline and _unlogged(caplog, answered):
            time.sleep(0.05)
        failures += [f"{route}: no access log line with status=400" for route in _unlogged(caplog, answered)]
    assert not failures, "\n".join(failures)


def _unlogged(caplog: pytest.LogCaptureFixture, answered: dict[str, str]) -> list[str]:
    """The routes whose answer has no access log line with its request id and status 400."""
    lines = [r.getMessage() for r in caplog.records]
    return [
        route for rid, route in answered.items() if not any(rid in x and "status=400" in x for x in lines)
    ]


@pytest.mark.parametrize("name", sorted(GATEWAY_ONLY))
def test_the_gateway_refuses_what_it_would_otherwise_forward(platform: Platform, org: Org, name: str) -> None:
    with platform.client(org.key) as client:
        body = GATEWAY_ONLY[name].replace(
            b'"extractive"', b'"extractive","messages":[{"role":"user","content":"x"}]'
        )
        response = client.post(
            "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_json" and response.headers["x-request-id"]


def test_rest_routes_name_the_content_type_they_need(platform: Platform, org: Org) -> None:
    with platform.client(org.admin_token) as client:
        response = client.post("/api/groups", content=b'{"name":"x"}', headers={"content-type": "text/plain"})
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_content_type"
    assert "application/json" in response.json()["error"]["message"]


def test_duplicate_keys_the_last_one_wins_once_for_every_step(platform: Platform, org: Org) -> None:
    body = b'{"model":"nope","model":"extractive","messages":[{"role":"user","content":"The sky is blue."}]}'
    with platform.client(org.key) as client:
        response = client.post(
            "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "extractive"


def test_an_unexpected_error_answers_500_with_the_request_id_and_is_logged_with_its_status(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(runtime=platform.runtime)

    @app.get("/api/test-only/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with serve(app) as base_url, caplog.at_level(logging.INFO):
        response = httpx.get(f"{base_url}/api/test-only/boom", timeout=30)
    request_id = response.headers["x-request-id"]
    assert response.status_code == 500
    assert (
        response.json()["error"]["code"] == "internal_error"
        and request_id in response.json()["error"]["message"]
    )
    lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert any("status=500" in line for line in lines), lines
    assert any(r.exc_info and "a bug" in str(r.exc_info[1]) for r in caplog.records), (
        "the traceback is logged"
    )


def test_loads_refuses_each_kind_precisely() -> None:
    assert loads(b'{"a": [1, 2.5, "\\ud800"], "a": 3}') == {"a": 3}
    deep_enough = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert loads(deep_enough) is not None
    for body, reason in (
        (b"[" + deep_enough + b"]", "nested more than"),
        (b"[" * 5000, "nested more than"),
        (b"1e400", "too large"),
        (b"-Infinity", "not a JSON number"),
        (b"1" * 4301, "too long"),
        (b"\xc3\x28", "UTF-8"),
        (b'{"a" 1}', "not valid JSON"),
    ):
        with pytest.raises(JsonRefused, match=reason):
            loads(body)
