"""The audit log as an admin reads it: actions in words (with their code), people and platform staff by
name rather than ids, details as a short list (folded when long), at 1280 and 375 px with axe-core finding
nothing, the scrolling table reachable by keyboard, the grouped navigation two rows high on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, ORG_SLUG, Site
from tests.e2e.helpers import assert_accessible, shot, sign_in
from tests.support.platform import PASSWORD
from tutela.core.auth import staff
from tutela.core.organizations import service as organizations
from tutela.core.permissions.roles import StaffRole

STAFF_EMAIL = "reviewer@platform.example.com"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _staff_entry(site: Site) -> None:
    """A platform staff member's action in the organization's log, with several details."""
    runtime = site.platform.runtime
    with runtime.directory.session() as ddb:
        member = staff.create_staff(
            ddb,
            email=STAFF_EMAIL,
            password=PASSWORD,
            roles={StaffRole.SAFETY_REVIEWER},
            location="EU",
            min_password_length=runtime.settings.auth.min_password_length,
        )
        staff_id = member.id
    with site.platform.client(site.admin_token) as api:
        org_id = api.get("/api/org").json()["id"]
    with runtime.region_session(org_id) as db:
        organizations.record(
            runtime,
            db,
            org_id=org_id,
            actor=f"staff:{staff_id}",
            action="monitoring.content_read",
            target="flag:1",
            details={
                "justification": "Checking a report",
                "minutes": 30,
                "approved": True,
                "categories": ["hate"],
            },
        )


def test_the_audit_log_reads_in_words_at_both_widths(make_page: Callable[..., Page], site: Site) -> None:
    _staff_entry(site)
    page = make_page()
    sign_in(page, ORG_SLUG, ADMIN)
    page.goto("/admin/audit")
    table = page.get_by_role("table")
    signed_in = page.get_by_role("row").filter(has_text="auth.signed_in").first
    expect(signed_in).to_contain_text("Signed in")
    expect(signed_in).to_contain_text(ADMIN)
    read = page.get_by_role("row").filter(has_text="monitoring.content_read").first
    expect(read).to_contain_text("Flagged content read")
    expect(read).to_contain_text(f"{STAFF_EMAIL} (platform staff)")
    details = read.locator("details")
    expect(details.locator("summary")).to_have_text("4 details")
    details.locator("summary").click()
    expect(details.locator("dl.pairs")).to_contain_text("Approved")
    expect(details.locator("dl.pairs")).to_contain_text("yes")
    for cell in table.locator("tbody td:nth-child(3)").all_inner_texts():
        assert not UUID.search(cell), f"an id instead of a name: {cell}"
    assert_accessible(page, "audit log at 1280 px")
    shot(page, "audit-readable")
    page.set_viewport_size({"width": 375, "height": 812})
    assert_accessible(page, "audit log at 375 px")
    nav = page.get_by_role("navigation", name="Main").bounding_box()
    assert nav is not None and nav["height"] < 140, f"the navigation takes {nav} at 375 px"  # two rows
    region = page.get_by_role("region", name="Audit entries, newest first")
    region.focus()
    expect(region).to_be_focused()
    shot(page, "audit-phone")
