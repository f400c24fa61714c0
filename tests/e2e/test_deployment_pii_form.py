"""The AI resource page turns PII pseudonymisation on and off per deployment, as the PUT .../pii route does:
audited, refused in words for a wrong value, and not offered for the built-in model (nothing leaves)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, LEARNER, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, shot, sign_in
from tests.e2e.test_forms import _signed_in, _token
from tests.support.platform import PASSWORD


def test_the_resource_page_switches_pseudonymisation_per_deployment(site: Site) -> None:
    with site.platform.client(site.admin_token) as api:
        resource_id = api.get("/api/ai/resources").json()[0]["id"]
        created = api.post(
            f"/api/ai/resources/{resource_id}/deployments",
            json={"name": "outside", "provider": "openai", "model": "gpt-4o-mini",
                  "base_url": "http://127.0.0.1:9/v1", "api_key": "sk-test-not-used"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        deployment_id = created.json()["id"]
    path = f"/admin/resources/{resource_id}"
    with _signed_in(site) as client:
        page = client.get(path).text
        select = re.search(rf'<select id="pii-{deployment_id}" name="pii">(.*?)</select>', page, re.S)
        assert select is not None and '<option value="off" selected>Sent as written</option>' in select.group(
            1
        )
        assert "Personal data in requests to outside" in page
        assert "Stays on this server" in page  # the built-in model's row has no switch
        token = _token(client, path)
        action = f"{path}/deployments/{deployment_id}/pii"
        saved = client.post(action, data={"pii": "pseudonymise", "csrf_token": token})
        assert saved.status_code == 303 and saved.headers["location"].endswith("notice=pii-on")
        shown = client.get(saved.headers["location"]).text
        assert "Personal data is now replaced with placeholders" in shown
        assert '<option value="pseudonymise" selected>Replaced with placeholders</option>' in shown
        wrong = client.post(action, data={"pii": "maybe", "csrf_token": token})
        assert wrong.status_code == 400
        assert "hoose whether personal data is sent as written or replaced" in wrong.text
        assert client.post(action, data={"pii": "off", "csrf_token": token}).status_code == 303
        unknown = f"{path}/deployments/00000000-0000-0000-0000-000000000000/pii"
        assert client.post(unknown, data={"pii": "off", "csrf_token": token}).status_code == 404
    with httpx.Client(base_url=site.base_url, timeout=30) as learner:
        form = {
            "organization": ORG_SLUG,
            "email": LEARNER,
            "password": PASSWORD,
            "csrf_token": _token(learner),
        }
        assert learner.post("/login", data=form).status_code == 303
        refused = learner.post(action, data={"pii": "pseudonymise", "csrf_token": _token(learner, "/")})
        assert refused.status_code == 403
    with site.platform.client(site.admin_token) as api:
        rows = api.get(f"/api/ai/resources/{resource_id}/deployments").json()
        assert next(r for r in rows if r["id"] == deployment_id)["options"]["pii"] == "off"
        changes = [
            e for e in api.get("/api/audit").json()
            if e["action"] == "ai.deployment_pii_changed" and e["target"] == f"deployment:{deployment_id}"
        ]  # fmt: skip
        assert sorted(e["details"]["pii"] for e in changes) == ["off", "pseudonymise"]


def test_the_switch_in_the_browser_is_labelled_and_accessible(
    site: Site, make_page: Callable[..., Page]
) -> None:
    with site.platform.client(site.admin_token) as api:
        resource_id = api.get("/api/ai/resources").json()[0]["id"]
        created = api.post(
            f"/api/ai/resources/{resource_id}/deployments",
            json={"name": "elsewhere", "provider": "openai", "model": "gpt-4o-mini",
                  "base_url": "http://127.0.0.1:9/v1", "api_key": "sk-test-not-used"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
    page = make_page()
    sign_in(page, ORG_SLUG, ADMIN)
    page.goto(f"/admin/resources/{resource_id}")
    page.get_by_label("Personal data in requests to elsewhere").select_option("pseudonymise")
    page.get_by_role("button", name="Save for elsewhere").click()
    expect(page.get_by_role("status")).to_contain_text("Personal data is now replaced with placeholders")
    expect(page.get_by_label("Personal data in requests to elsewhere")).to_have_value("pseudonymise")
    assert_accessible(page, "resource page with the personal data switch")
    shot(page, "resource-pii")
