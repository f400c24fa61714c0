"""The admin's limits and usage pages in a browser: limits set through the form (a wrong number refused in
words next to its field), usage drawn as inline SVG charts named for screen readers with the same numbers as
tables, a deployment priced and its estimated cost shown, axe-core finding nothing at 1280 and 375 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, AUTHOR, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, open_section, shot, sign_in
from tutela.core.users import service as users
from tutela.gateway.resources import service as resources
from tutela.gateway.usage.meter import meter_for
from tutela.gateway.usage.models import DailyUsage

KEY_NAME = "e2e-operations"


def _usage(site: Site) -> None:
    """A key that asked the built-in model a question today, and a week of an author's use (as the
    product's own calls are counted) written as the meter writes it."""
    runtime = site.platform.runtime
    with site.platform.client(site.admin_token) as api:
        org_id = api.get("/api/org").json()["id"]
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name="default")
        assert resource is not None
        _, raw = resources.create_key(db, org_id=org_id, resource_id=resource.id, name=KEY_NAME)
        author = next(u for u in users.list_users(db, org_id=org_id) if u.email == AUTHOR)
        today = runtime.clock.now().date()
        for age in range(7):
            db.add(
                DailyUsage(
                    org_id=org_id,
                    day=(today - timedelta(days=age + 1)).isoformat(),
                    deployment="extractive",
                    model="extractive",
                    key_id="",
                    user_id=author.id,
                    requests=3 + age,
                    filtered_requests=age % 2,
                    prompt_tokens=1200 + 300 * age,
                    completion_tokens=400 + 50 * age,
                    latency_ms_total=900,
                )
            )
    question = [{"role": "user", "content": "What does the induction week cover?"}]
    site.platform.openai(raw).chat.completions.create(model="extractive", messages=question)  # type: ignore[arg-type]
    meter_for(runtime).flush()


def test_limits_page_sets_a_budget_and_words_a_wrong_number(
    make_page: Callable[..., Page], site: Site
) -> None:
    _usage(site)
    page = make_page()
    sign_in(page, ORG_SLUG, ADMIN)
    open_section(page, "Limits and budgets")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rate limits and budgets")
    assert_accessible(page, "limits page, empty, at 1280 px")
    form = page.get_by_role("region", name="Set limits")
    form.get_by_label("Applies to").select_option(label=f"API key {KEY_NAME} of resource default")
    form.get_by_label("Tokens per day (UTC)").fill("-3")
    form.get_by_role("button", name="Save limits").click()
    field = page.get_by_label("Tokens per day (UTC)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#tokens_per_day-error")).to_have_text(
        "Enter a whole number from 0 to 2,000,000,000, or leave it empty for no limit."
    )
    expect(field).to_have_value("-3")
    assert_accessible(page, "limits page with an error at 1280 px")
    field.fill("50000")
    page.get_by_label("Requests per minute").fill("120")
    page.get_by_role("button", name="Save limits").click()
    expect(page.get_by_role("status")).to_have_text(
        "The limits were saved. They apply to new requests within a few seconds."
    )
    row = page.get_by_role("row").filter(has_text=KEY_NAME)
    expect(row).to_contain_text("50,000")
    expect(row).to_contain_text("120")
    expect(row).to_contain_text("No limit")
    assert_accessible(page, "limits page at 1280 px")
    shot(page, "limits")
    page.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(page, "limits page at 375 px")
    shot(page, "limits-phone")


def test_usage_page_charts_prices_and_costs(make_page: Callable[..., Page], site: Site) -> None:
    page = make_page()
    sign_in(page, ORG_SLUG, ADMIN)
    open_section(page, "Usage and cost")
    expect(page.get_by_role("heading", level=1)).to_have_text("Usage and cost")
    for name in ("Tokens per day", "Requests per day", "Top users by tokens", "Top API keys by tokens"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Author (author@web.example.com)")).to_contain_text(
        "Author"
    )
    expect(page.get_by_role("row").filter(has_text=f"API key {KEY_NAME}").first).to_be_visible()
    page.get_by_text("The numbers per day, as a table").click()
    expect(page.get_by_role("table", name="Usage per day")).to_be_visible()
    expect(page.get_by_role("link", name="Download these rows as CSV")).to_have_attribute(
        "href",
        "/api/ai/usage/csv?start="
        + page.get_by_label("First day").input_value()
        + "&end="
        + page.get_by_label("Last day").input_value(),
    )
    assert_accessible(page, "usage page at 1280 px")

    page.get_by_label("Deployment", exact=True).first.select_option("whisper")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/admin/usage\?start=.*&deployment=whisper$"))
    expect(page.get_by_role("link", name="Download these rows as CSV")).to_have_attribute(
        "href", re.compile(r"deployment=whisper$")
    )
    expect(page.locator(".totals")).to_contain_text("No price set")
    page.goto("/admin/usage")
    prices = page.get_by_role("region", name="Prices per deployment")
    prices.get_by_label("Deployment").select_option(label="extractive (default)")
    prices.get_by_label("Price per million input tokens").fill("1.5")
    prices.get_by_label("Price per million output tokens").fill("6")
    prices.get_by_label("Currency").fill("eur")
    prices.get_by_role("button", name="Save price").click()
    expect(page.locator("#price-currency-error")).to_have_text(
        "Use a three-letter currency code in capitals, like USD or EUR."
    )
    assert_accessible(page, "usage page with a price error at 1280 px")
    page.get_by_label("Currency").fill("EUR")
    page.get_by_role("button", name="Save price").click()
    expect(page.get_by_role("status")).to_contain_text("The price was saved")
    expect(page.locator(".totals")).to_contain_text("EUR")
    expect(page.get_by_role("row").filter(has_text="extractive").first).to_contain_text("1.5 EUR")
    assert_accessible(page, "usage page priced at 1280 px")
    shot(page, "usage")
    page.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(page, "usage page at 375 px")
    chart = page.get_by_role("img", name="Tokens per day").bounding_box()
    assert chart is not None and chart["width"] <= 375, f"the chart overflows a phone: {chart}"
    shot(page, "usage-phone")
