"""Prices per deployment and estimated cost, usage retention and its purge, and the audit log in words: over
the API with the real `openai` client against a live Tutela on SQLite and PostgreSQL, the purge checked in
the raw table."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import text

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import GatewayOrg, Platform, running_platform
from tutela.gateway.monitoring.jobs import purge_expired
from tutela.gateway.usage.meter import meter_for

Running = tuple[Platform, FakeUpstream]
HELLO = [{"role": "user", "content": "Summarise the onboarding checklist for new tutors"}]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with (
        FakeUpstream.running() as upstream,
        running_platform(request.param, tmp_path_factory.mktemp(f"usage-cost-{request.param}")) as running,
    ):
        yield running, upstream


def _org(platform: Running) -> tuple[GatewayOrg, httpx.Client]:
    running, upstream = platform
    name = f"Cost {uuid.uuid4().hex[:6]}"
    wired = running.gateway_org(name, upstream)
    admin = running.client(running.login(name.lower().replace(" ", "-"), "admin@example.com"))
    return wired, admin


def _deployment_id(admin: httpx.Client, resource_id: str, name: str = "tutor") -> str:
    rows = admin.get(f"/api/ai/resources/{resource_id}/deployments").json()
    return next(d["id"] for d in rows if d["name"] == name)


def test_a_price_gives_usage_an_estimated_cost_in_json_and_csv(platform: Running) -> None:
    running = platform[0]
    org, admin = _org(platform)
    tutor = _deployment_id(admin, org.resource_id)
    price_url = f"/api/ai/resources/{org.resource_id}/deployments/{tutor}/price"
    for bad in (
        {"input_per_million": -1, "output_per_million": 1},
        {"input_per_million": 1, "output_per_million": 1, "currency": "eur"},
        {"input_per_million": 1, "output_per_million": 1, "currency": "EURO"},
        {"input_per_million": "a lot", "output_per_million": 1},
        {"input_per_million": 1},
        {"input_per_million": 1, "output_per_million": 1, "discount": 5},
    ):
        assert admin.put(price_url, json=bad).status_code == 422, bad
    saved = admin.put(price_url, json={"input_per_million": 2.5, "output_per_million": 10, "currency": "EUR"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["price"] == {"input_per_million": 2.5, "output_per_million": 10.0, "currency": "EUR"}

    answer = running.openai(org.key).chat.completions.create(model="tutor", messages=HELLO)  # type: ignore[arg-type]
    assert answer.usage is not None
    meter_for(running.runtime).flush()
    today = running.runtime.clock.now().date()
    rows = admin.get("/api/ai/usage").json()
    assert len(rows) == 1, rows
    row = rows[0]
    expected = round((row["prompt_tokens"] * 2.5 + row["completion_tokens"] * 10) / 1_000_000, 6)
    assert row["prompt_tokens"] == answer.usage.prompt_tokens and expected > 0
    assert (row["estimated_cost"], row["currency"]) == (expected, "EUR")
    exported = list(csv.DictReader(io.StringIO(admin.get("/api/ai/usage/csv").text)))
    assert [(r["day"], float(r["estimated_cost"]), r["currency"]) for r in exported] == [
        (str(today), expected, "EUR")
    ]
    # The deployment filter, in the API and the CSV.
    assert admin.get("/api/ai/usage", params={"deployment": "extractive"}).json() == []
    assert len(admin.get("/api/ai/usage/csv", params={"deployment": "tutor"}).text.splitlines()) == 2

    # Without a price, usage has no estimated cost.
    assert admin.delete(price_url).status_code == 204
    assert admin.get(f"/api/ai/resources/{org.resource_id}/deployments").json()[0]["price"] is None
    row = admin.get("/api/ai/usage").json()[0]
    assert (row["estimated_cost"], row["currency"]) == (None, None)


def test_no_admin_can_price_another_tenants_deployment(platform: Running) -> None:
    org, admin = _org(platform)
    other, other_admin = _org(platform)
    theirs = _deployment_id(other_admin, other.resource_id)
    body = {"input_per_million": 0, "output_per_million": 0, "currency": "USD"}
    for resource in (org.resource_id, other.resource_id):
        url = f"/api/ai/resources/{resource}/deployments/{theirs}/price"
        assert admin.put(url, json=body).status_code == 404
        assert admin.delete(url).status_code == 404
    assert other_admin.get(f"/api/ai/resources/{other.resource_id}/deployments").json()[0]["price"] is None


def test_usage_is_kept_as_configured_and_older_days_are_purged(platform: Running) -> None:
    running = platform[0]
    runtime = running.runtime
    org, admin = _org(platform)
    other, other_admin = _org(platform)
    assert admin.get("/api/ai/usage/retention").json() == {
        "days": 400,
        "organization_days": None,
        "default_days": 400,
    }
    for bad in ({"days": 0}, {"days": 3651}, {"days": "a year"}, {}):
        assert admin.put("/api/ai/usage/retention", json=bad).status_code == 422, bad
    assert admin.put("/api/ai/usage/retention", json={"days": 90}).json()["days"] == 90

    today = runtime.clock.now().date()
    ages = (0, 89, 90, 500)
    engine = runtime.region_of(org.org_id).db.engine
    with engine.begin() as conn:
        for owner in (org.org_id, other.org_id):
            for age in ages:
                conn.execute(
                    text(
                        "INSERT INTO gateway_daily_usage (id, org_id, day, deployment, model, key_id,"
                        " user_id, requests, filtered_requests, prompt_tokens, completion_tokens,"
                        " latency_ms_total)"
                        " VALUES (:id, :org, :day, 'tutor', 'fake-model', '', '', 1, 0, 10, 5, 3)"
                    ),
                    {"id": str(uuid.uuid4()), "org": owner, "day": str(today - timedelta(days=age))},
                )
    result = purge_expired(runtime)  # the scheduled purge job
    assert result["usage_rows"] >= 3

    def days_of(org_id: str) -> list[int]:
        with engine.connect() as conn:
            query = "SELECT day FROM gateway_daily_usage WHERE org_id = :org ORDER BY day DESC"
            found = conn.execute(text(query), {"org": org_id})
            return [(today - date.fromisoformat(d)).days for (d,) in found]

    assert days_of(org.org_id) == [0, 89], "90 days kept: today and the 89 before it"
    assert days_of(other.org_id) == [0, 89, 90], "the default of 400 days for the other organization"
    # Back to the platform's default: null.
    assert admin.put("/api/ai/usage/retention", json={"days": None}).json()["organization_days"] is None
    assert other_admin.get("/api/ai/usage/retention").json()["organization_days"] is None


def test_every_operations_change_is_in_the_audit_log_in_words(platform: Running) -> None:
    running = platform[0]
    org, admin = _org(platform)
    tutor = _deployment_id(admin, org.resource_id)
    base = f"/api/ai/resources/{org.resource_id}/deployments/{tutor}"
    admin.put(f"{base}/price", json={"input_per_million": 0.15, "output_per_million": 0.6}).raise_for_status()
    admin.put(f"{base}/price", json={"input_per_million": 0.2, "output_per_million": 0.8}).raise_for_status()
    admin.delete(f"{base}/price").raise_for_status()
    admin.put("/api/ai/usage/retention", json={"days": 120}).raise_for_status()
    limit = {"scope": "key", "subject_id": org.key_id, "tokens_per_day": 5000}
    admin.put("/api/ai/limits", json=limit).raise_for_status()
    routing = {"targets": [{"deployment": "tutor", "weight": 3}], "fallbacks": ["extractive"]}
    admin.put(f"{base}/routing", json=routing).raise_for_status()
    actions = [e["action"] for e in admin.get("/api/audit").json()]
    for action in (
        "ai.deployment_price_set",
        "ai.deployment_price_removed",
        "ai.usage_retention_changed",
        "ai.limits_set",
        "ai.deployment_routing_set",
    ):
        assert action in actions, actions
    token = admin.headers["authorization"].removeprefix("Bearer ")
    with httpx.Client(base_url=running.base_url, cookies={"tutela_session": token}, timeout=30) as browser:
        page = browser.get("/admin/audit").text
    for words in (
        "Deployment price set",
        "Deployment price removed",
        "Usage retention changed",
        "Rate limits and budgets set",
        "Deployment targets and fallbacks changed",
        "deployment tutor of resource default",
        "the whole organization",
        "Tokens per day",
        "Price per million input tokens",
        "0.2 USD",
        "0.15 in, 0.6 out USD",  # what the price was before
        "deployment tutor, weight 3",  # a routing target
    ):
        assert words in page, words
    assert f"deployment:{tutor}" not in page and f"key:{org.key_id}" not in page
