"""Safety in the browser: a flag is reviewed with a just-in-time grant and the customer sees who read what;
admins edit content filters, blocklists, prompt templates, policies, retention and the opt-out request."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, Site
from tests.e2e.helpers import assert_accessible, open_section, shot, sign_in
from tests.gateway.monitoring.support import HIGH, Org, flush, new_org, record
from tests.support.platform import PASSWORD
from tutela.core.auth import staff as staff_service
from tutela.core.permissions.roles import StaffRole
from tutela.gateway.monitoring import review

PageFactory = Callable[..., Page]


@dataclass
class Review:
    """An organization whose traffic raised one high-severity flag, and staff of the data's jurisdiction."""

    org: Org
    admin_email: str
    flag_id: str
    request_id: str
    secret: str
    reviewer: str
    manager: str
    operator: str


def _staff(site: Site, role: StaffRole, location: str) -> str:
    email = f"{role.value.replace('_', '-')}-{uuid.uuid4().hex[:6]}@platform.example.com"
    with site.platform.runtime.directory.session() as ddb:
        staff_service.create_staff(
            ddb, email=email, password=PASSWORD, roles={role}, location=location, min_password_length=8
        )
    return email


@pytest.fixture(scope="module")
def flagged(site: Site) -> Review:
    platform = site.platform
    org = new_org(platform, "review")
    secret = f"canary-{uuid.uuid4().hex[:10]}"
    request_id = record(platform, org, verdicts=HIGH, prompt=f"how to {secret}", completion=f"reply {secret}")
    flush(platform.runtime)
    with platform.runtime.region_session(org.id) as db:
        flag = next(f for f in review.list_flags(db, org_id=org.id) if f.reason == "high_severity")
        flag_id = flag.id
    jurisdiction = platform.runtime.region_of(org.id).settings.jurisdiction
    return Review(
        org=org,
        admin_email=f"admin-{org.slug.removeprefix('monitoring-')}@example.com",
        flag_id=flag_id,
        request_id=request_id,
        secret=secret,
        reviewer=_staff(site, StaffRole.SAFETY_REVIEWER, jurisdiction),
        manager=_staff(site, StaffRole.SAFETY_MANAGER, jurisdiction),
        operator=_staff(site, StaffRole.OPERATOR, jurisdiction),
    )


def staff_sign_in(page: Page, email: str) -> None:
    page.goto("/platform/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organizations and regions")


def test_reviewer_reads_a_flagged_item_only_with_an_approved_grant_and_the_customer_sees_it(
    make_page: PageFactory, flagged: Review
) -> None:
    reviewer = make_page()
    staff_sign_in(reviewer, flagged.reviewer)
    open_section(reviewer, "Flagged items")
    card = reviewer.locator(f"#flag-{flagged.flag_id}")
    expect(card).to_contain_text("High-severity content")
    expect(card).to_contain_text(flagged.org.slug)  # the organization's short name, never its id
    expect(card).not_to_contain_text(flagged.org.id)
    assert flagged.secret not in reviewer.content(), "the queue shows metadata only"
    shot(reviewer, "platform-flags")

    # A too-short justification is refused next to the field; then a real one is filed.
    justification = card.get_by_label("Justification")
    justification.fill("curious")
    card.get_by_role("button", name="Request access").click()
    card = reviewer.locator(f"#flag-{flagged.flag_id}")
    expect(card.locator(".field-error")).to_contain_text("at least 20 characters")
    why = "High-severity violence verdict; confirm whether the key is used for abuse."
    card.get_by_label("Justification").fill(why)
    card.get_by_role("button", name="Request access").click()
    expect(reviewer.get_by_role("status")).to_contain_text("Your access request was filed")
    expect(reviewer.get_by_role("row", name=re.compile(flagged.request_id))).to_contain_text(
        "Waiting for approval"
    )
    shot(reviewer, "platform-flags-requested")

    # Without a grant the item shows no content.
    open_section(reviewer, "Access requests")
    mine = reviewer.locator(".flag-list > li").filter(has_text=flagged.request_id)
    expect(mine).to_contain_text("Waiting for approval")
    expect(mine.get_by_role("button", name="Approve")).to_have_count(0)

    manager = make_page()
    staff_sign_in(manager, flagged.manager)
    open_section(manager, "Access requests")
    pending = manager.locator(".flag-list > li").filter(has_text=flagged.request_id)
    expect(pending).to_contain_text(why)
    expect(pending).to_contain_text(flagged.reviewer)
    shot(manager, "platform-access-requests")
    pending.get_by_role("button", name="Approve").click()
    expect(manager.get_by_role("status")).to_contain_text("The access request was approved")
    # The list shows every request by default, approved grants too; the filter narrows it.
    granted = manager.locator(".flag-list > li").filter(has_text=flagged.request_id)
    expect(granted).to_contain_text("Approved")
    expect(granted).to_contain_text(flagged.org.slug)
    manager.get_by_role("navigation", name="Show access requests").get_by_role(
        "link", name="Waiting for approval"
    ).click()
    expect(manager.locator(".flag-list > li").filter(has_text=flagged.request_id)).to_have_count(0)
    manager.get_by_role("navigation", name="Show access requests").get_by_role(
        "link", name="Approved"
    ).click()
    expect(manager.locator(".flag-list > li").filter(has_text=flagged.request_id)).to_contain_text("Approved")
    assert_accessible(manager, "access requests, approved, at 1280 px")

    open_section(reviewer, "Flagged items")
    reviewer.get_by_role("link", name=re.compile(f"Read the item {flagged.request_id}")).click()
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Flagged item")
    expect(reviewer.locator(".content-box").first).to_contain_text(flagged.secret)
    expect(reviewer.locator(".grant")).to_contain_text("is live until")
    shot(reviewer, "platform-flagged-item")
    reviewer.get_by_role("radio", name="Abusive").check()
    reviewer.get_by_label("Note").fill("Repeated violent instructions.")
    reviewer.get_by_role("button", name="Record outcome").click()
    expect(reviewer.get_by_role("status").first).to_contain_text("The outcome was recorded")

    # The phone-width queue stays usable.
    phone = make_page(width=390, height=844)
    staff_sign_in(phone, flagged.reviewer)
    phone.goto("/platform/flags?show=all")
    expect(phone.locator(f"#flag-{flagged.flag_id}")).to_contain_text("Closed: abusive")
    shot(phone, "platform-flags-phone")

    admin = make_page()
    sign_in(admin, flagged.org.slug, flagged.admin_email)
    open_section(admin, "Abuse monitoring")
    expect(admin.get_by_role("row", name=re.compile("abusive"))).to_be_visible()
    admin.get_by_role("link", name="See who accessed your monitored data").click()
    row = admin.get_by_role("row", name=re.compile(flagged.reviewer))
    expect(row).to_contain_text(why)
    expect(row).to_contain_text(f"Approved by {flagged.manager}")
    expect(row).to_contain_text("Read ")
    shot(admin, "admin-monitoring-accesses")
    open_section(admin, "Audit log")
    admin.get_by_label("Action starts with").fill("monitoring.")
    admin.get_by_role("button", name="Filter").click()
    log = admin.locator("table.audit")
    for action in ("access_requested", "access_approved", "content_read", "outcome_recorded"):
        expect(log).to_contain_text(f"monitoring.{action}")
    expect(log).to_contain_text(why)
    shot(admin, "admin-audit-monitoring")


def test_admin_edits_a_filter_and_a_blocklist_and_the_api_shows_it(
    make_page: PageFactory, site: Site
) -> None:
    name = f"banned-{uuid.uuid4().hex[:6]}"
    page = make_page()
    sign_in(page, "web-org", ADMIN)
    open_section(page, "Content policies")
    page.get_by_label("Blocklist name").fill("has spaces")
    page.get_by_role("button", name="Create blocklist").click()
    expect(page.locator("#bl-name-error")).to_contain_text("without spaces")
    page.get_by_label("Blocklist name").fill(name)
    page.get_by_role("button", name="Create blocklist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Blocklist {name}")
    page.get_by_label("Kind").select_option("regex")
    page.get_by_label("Term or regular expression").fill("(a+)+b")
    page.get_by_role("button", name="Add entry").click()
    expect(page.locator("#item-pattern-error")).to_be_visible()
    page.get_by_label("Kind").select_option("exact")
    page.get_by_label("Term or regular expression").fill("moonshine")
    page.get_by_role("button", name="Add entry").click()
    expect(page.get_by_role("status")).to_contain_text("The entry was added")
    expect(page.get_by_role("cell", name="moonshine", exact=True)).to_be_visible()
    shot(page, "admin-blocklist")

    open_section(page, "Content filters")
    shot(page, "admin-filters")
    page.get_by_role("link", name=re.compile("^extractive")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Content filter of extractive")
    page.locator("#prompt-hate").select_option("low")
    page.locator("#completion-violence").select_option("high")
    page.locator("#prompt-jailbreak").select_option("annotate")
    page.locator("#completion-profanity").select_option("filter")
    page.get_by_role("group", name="Blocklists applied to prompts").get_by_label(name).check()
    page.get_by_role("button", name="Save content filter").click()
    expect(page.get_by_role("status")).to_contain_text("The content filter was saved")
    expect(page.locator("#prompt-hate")).to_have_value("low")
    shot(page, "admin-content-filter")
    match = re.search(r"/admin/filters/([^/?]+)/([^/?]+)", page.url)
    assert match is not None, page.url
    resource_id, deployment_id = match.groups()

    with site.platform.client(site.admin_token) as api:
        blocklists = {b["name"]: b for b in api.get("/api/ai/blocklists").json()}
        assert [i["pattern"] for i in blocklists[name]["items"]] == ["moonshine"]
        path = f"/api/ai/resources/{resource_id}/deployments/{deployment_id}/content-filter"
        body = api.get(path).json()
    assert body["version"] >= 1
    settings = body["settings"]
    assert settings["prompt"]["hate"] == "low" and settings["completion"]["violence"] == "high"
    assert settings["prompt"]["jailbreak"] == "annotate" and settings["completion"]["profanity"] == "filter"
    assert name in settings["prompt"]["blocklists"] and name not in settings["completion"]["blocklists"]

    # A blocklist in use cannot be deleted: the page says which deployment uses it.
    open_section(page, "Content policies")
    page.get_by_role("link", name=name).click()
    page.get_by_role("button", name=f"Delete blocklist {name}").click()
    expect(page.get_by_role("alert")).to_contain_text("extractive")


def test_admin_prompt_templates_policies_retention_opt_out_and_export(
    make_page: PageFactory, site: Site, flagged: Review
) -> None:
    page = make_page()
    sign_in(page, "web-org", ADMIN)
    open_section(page, "Prompt templates")
    template = f"Onboarding {uuid.uuid4().hex[:4]}"
    page.get_by_label("Name").fill(template)
    page.locator("#tpl-instructions").fill("Write for new staff; keep lessons short.")
    page.locator("#tpl-question_count").fill("500")
    page.get_by_role("button", name="Create template").click()
    expect(page.locator("#tpl-question_count-error")).to_contain_text("from 1 to 200")
    page.locator("#tpl-question_count").fill("5")
    page.get_by_label("True or false").check()
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(template)
    page.locator("#ver-audience").fill("Warehouse staff")
    page.get_by_role("button", name="Save new version").click()
    expect(page.get_by_role("status")).to_contain_text("it is now the current one")
    expect(page.locator("#shown-version")).to_have_text("Version 2 (current)")
    shot(page, "admin-prompt-template")
    page.get_by_role("navigation", name="Versions").get_by_role("link", name="1").click()
    expect(page.locator("#shown-version")).to_have_text("Version 1")
    open_section(page, "Prompt templates")
    shot(page, "admin-prompt-templates")

    open_section(page, "Content policies")
    rule = f"No slang {uuid.uuid4().hex[:4]}"
    page.get_by_label("Rule name").fill(rule)
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rule-terms-error")).to_be_visible()
    page.get_by_label("Terms, one per line").fill("gonna\nwanna")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("The policy rule was added")
    page.get_by_role("link", name=rule).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Policy rule {rule}")
    page.get_by_label("Terms, one per line").fill("gonna\nwanna\nkinda")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_text("Version 2,")).to_be_visible()
    with site.platform.client(site.admin_token) as api:
        saved = {r["name"]: r for r in api.get("/api/policies/rules").json()}[rule]
    assert saved["rule"]["terms"] == ["gonna", "wanna", "kinda"] and saved["version"] == 2
    page.get_by_role("button", name=f"Delete rule {rule}").click()
    expect(page.get_by_role("status")).to_contain_text("The policy rule was deleted")
    shot(page, "admin-policies")

    open_section(page, "Abuse monitoring")
    page.get_by_label("Keep records for (days)").fill("40")
    page.get_by_role("button", name="Save retention").click()
    expect(page.locator("#retention_days-error")).to_contain_text("from 1 to 30")
    page.get_by_label("Keep records for (days)").fill("14")
    page.get_by_role("button", name="Save retention").click()
    expect(page.get_by_role("status")).to_contain_text("The retention period was saved")
    page.get_by_label("Reason").fill("Our works council requires that prompts are not stored.")
    page.get_by_role("button", name="Request opt-out").click()
    expect(page.get_by_role("status")).to_contain_text("Your opt-out request was sent")
    expect(page.get_by_role("row", name=re.compile("works council"))).to_contain_text(
        "Waiting for a decision"
    )
    shot(page, "admin-monitoring")

    operator = make_page()
    staff_sign_in(operator, flagged.operator)
    open_section(operator, "Opt-out requests")
    item = operator.locator(".flag-list > li").filter(has_text="works council")
    shot(operator, "platform-opt-outs")
    item.get_by_label("Note to the organization").fill("Not while the key is under review.")
    item.get_by_role("button", name="Reject").click()
    expect(operator.get_by_role("status")).to_contain_text("The opt-out was rejected")
    page.reload()
    expect(page.get_by_role("row", name=re.compile("works council"))).to_contain_text("Rejected")
    with site.platform.client(site.admin_token) as api:
        assert api.get("/api/monitoring/policy").json()["retention_days"] == 14

    open_section(page, "Export")
    shot(page, "admin-export")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the export (zip)").click()
    assert download.value.suggested_filename == "tutela-modules.zip"
    with page.expect_download() as download:
        page.get_by_role("link", name="SCORM 2004 4th edition (zip)").click()
    assert download.value.suggested_filename == "tutela-modules.scorm2004.zip"
    with zipfile.ZipFile(download.value.path()) as bulk:
        report = json.loads(bulk.read("export-report.json"))
        assert report["format"] == "scorm2004"
        assert sorted(bulk.namelist()) == sorted(
            [m["file"] for m in report["modules"]] + ["export-report.json"]
        )
