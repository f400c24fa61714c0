"""The admin pages for limits and usage over real HTTP, as a browser sends their forms: problems answered in
plain words next to the field, nothing saved on a refusal, another tenant's ids not found (checked in the
raw table), charts drawn as inline SVG with a title, a description and a table of the same numbers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import GatewayOrg, Platform, running_platform
from tutela.gateway.usage.meter import meter_for

Running = tuple[Platform, FakeUpstream]
HELLO = [{"role": "user", "content": "List three ways to welcome a new colleague"}]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with (
        FakeUpstream.running() as upstream,
        running_platform("sqlite", tmp_path_factory.mktemp("ops-pages")) as running,
    ):
        yield running, upstream


def _org(platform: Running) -> tuple[GatewayOrg, httpx.Client]:
    """An organization with an upstream deployment, and a browser signed in as its admin."""
    running, upstream = platform
    name = f"Ops {uuid.uuid4().hex[:6]}"
    wired = running.gateway_org(name, upstream)
    token = running.login(name.lower().replace(" ", "-"), "admin@example.com")
    browser = httpx.Client(base_url=running.base_url, cookies={"tutela_session": token}, timeout=30)
    return wired, browser


def _post(browser: httpx.Client, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    match = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(page).text)
    assert match is not None
    return browser.post(action, data={"csrf_token": match.group(1)} | data)


def _limit_rows(platform: Running, org_id: str) -> list[tuple[str, str, str, int | None]]:
    """Every limit row of the region, read raw (every test organization lives in the home region)."""
    engine = platform[0].runtime.region_of(org_id).db.engine
    with engine.connect() as conn:
        query = "SELECT org_id, scope, subject_id, tokens_per_day FROM gateway_rate_limits"
        return [tuple(row) for row in conn.execute(text(query))]  # type: ignore[misc]


def test_limits_page_sets_limits_in_words_and_never_for_another_tenant(platform: Running) -> None:
    org, browser = _org(platform)
    other, other_browser = _org(platform)
    page = browser.get("/admin/limits")
    assert page.status_code == 200
    assert "No limits are set" in page.text and "The whole organization" in page.text
    assert "API key" in page.text and f"key:{other.key_id}" not in page.text
    empty = {"requests_per_minute": "", "tokens_per_minute": "", "tokens_per_day": "", "tokens_per_month": ""}
    before = _limit_rows(platform, org.org_id)

    for wrong in ("-5", "many", "2.5", "9999999999"):
        refused = _post(
            browser,
            "/admin/limits",
            "/admin/limits",
            empty | {"subject": "organization", "tokens_per_day": wrong},
        )
        assert refused.status_code == 422, wrong
        assert "Enter a whole number from 0 to 2,000,000,000, or leave it empty for no limit." in refused.text
        assert f'value="{wrong}"' in refused.text, "what was typed is kept"
    nothing = _post(browser, "/admin/limits", "/admin/limits", empty | {"subject": "organization"})
    assert nothing.status_code == 422 and "Fill in at least one limit" in nothing.text
    odd = _post(
        browser, "/admin/limits", "/admin/limits", empty | {"subject": "team:1", "tokens_per_day": "5"}
    )
    assert odd.status_code == 422 and "Choose what the limits apply to." in odd.text
    # Another organization's key, resource or admin: not found, and nothing is saved anywhere.
    for subject in (f"key:{other.key_id}", f"resource:{other.resource_id}", f"organization:{other.org_id}"):
        crossed = _post(
            browser,
            "/admin/limits",
            "/admin/limits",
            empty | {"subject": subject, "tokens_per_day": "999999"},
        )
        assert crossed.status_code == 404, subject
        assert "This one was not found in your organization." in crossed.text
    assert _limit_rows(platform, org.org_id) == before

    saved = _post(
        browser,
        "/admin/limits",
        "/admin/limits",
        empty | {"subject": f"key:{org.key_id}", "tokens_per_day": "5000"},
    )
    assert saved.status_code == 303
    shown = browser.get(saved.headers["location"]).text
    assert "The limits were saved." in shown and "5,000" in shown and "No limit" in shown
    mine = [r for r in _limit_rows(platform, org.org_id) if r[0] == org.org_id]
    assert mine == [(org.org_id, "key", org.key_id, 5000)]

    # The other organization's admin cannot remove it; its own admin can.
    limit_id = re.search(r'action="/admin/limits/([^/]+)/remove"', shown)
    assert limit_id is not None
    removal = f"/admin/limits/{limit_id.group(1)}/remove"
    assert _post(other_browser, "/admin/limits", removal, {}).status_code == 404
    assert len([r for r in _limit_rows(platform, org.org_id) if r[0] == org.org_id]) == 1
    assert _post(browser, "/admin/limits", removal, {}).status_code == 303
    assert [r for r in _limit_rows(platform, org.org_id) if r[0] == org.org_id] == []


def test_usage_page_draws_charts_with_tables_and_sets_prices_and_retention(platform: Running) -> None:
    running = platform[0]
    org, browser = _org(platform)
    _, other_browser = _org(platform)
    running.openai(org.key).chat.completions.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
    meter_for(running.runtime).flush()

    page = browser.get("/admin/usage")
    assert page.status_code == 200
    html = page.text
    for chart in ("tokens-per-day", "requests-per-day", "top-keys"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html, chart
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert "<script" not in html.split("<main", 1)[1] and "style=" not in html
    assert "The numbers per day, as a table" in html and "API key" in html
    assert "No person used the product" in html  # no user called: said in words, no empty chart
    assert 'href="/api/ai/usage/csv?start=' in html and "No price set" in html
    csv_url = re.search(r'href="(/api/ai/usage/csv\?[^"]+)"', html)
    assert csv_url is not None
    assert "tutor" in browser.get(csv_url.group(1).replace("&amp;", "&")).text

    bad_day = browser.get("/admin/usage", params={"start": "2026-13-01"})
    assert bad_day.status_code == 422 and "Enter a day as year-month-day, like 2026-12-01." in bad_day.text
    backwards = browser.get("/admin/usage", params={"start": "2026-12-05", "end": "2026-12-01"})
    assert (
        backwards.status_code == 422 and "The first day must not come after the last day." in backwards.text
    )

    tutor = re.search(r'<option value="([^"]+)"[^>]*>tutor \(default\)</option>', html)
    theirs = re.search(
        r'<option value="([^"]+)"[^>]*>tutor \(default\)</option>', other_browser.get("/admin/usage").text
    )
    assert tutor is not None and theirs is not None
    price = {
        "deployment_id": tutor.group(1),
        "input_per_million": "2",
        "output_per_million": "8",
        "currency": "EUR",
    }
    for field, wrong, words in (
        ("input_per_million", "cheap", "Enter a price from 0 to 1,000,000 per million tokens, like 0.15."),
        ("output_per_million", "-1", "Enter a price from 0 to 1,000,000 per million tokens, like 0.15."),
        ("currency", "euro", "Use a three-letter currency code in capitals, like USD or EUR."),
    ):
        refused = _post(browser, "/admin/usage", "/admin/usage/prices", price | {field: wrong})
        assert refused.status_code == 422 and words in refused.text, field
    crossed = _post(
        browser, "/admin/usage", "/admin/usage/prices", price | {"deployment_id": theirs.group(1)}
    )
    assert crossed.status_code == 404 and "not found in your organization" in crossed.text
    assert "No price set" in other_browser.get("/admin/usage").text
    assert (
        _post(browser, "/admin/usage", f"/admin/usage/prices/{theirs.group(1)}/remove", {}).status_code == 404
    )
    saved = _post(browser, "/admin/usage", "/admin/usage/prices", price)
    assert saved.status_code == 303
    shown = browser.get(saved.headers["location"]).text
    assert "The price was saved" in shown and " EUR</dd>" in shown and "2 EUR" in shown

    for wrong in ("0", "forever", "4000"):
        refused = _post(browser, "/admin/usage", "/admin/usage/retention", {"days": wrong})
        assert refused.status_code == 422 and "Enter a whole number of days from 1 to 3,650" in refused.text
    assert _post(browser, "/admin/usage", "/admin/usage/retention", {"days": "90"}).status_code == 303
    assert "Usage is kept for <strong>90 days</strong>" in browser.get("/admin/usage").text
    assert (
        "Usage is kept for <strong>400 days</strong> (the platform" in other_browser.get("/admin/usage").text
    )
