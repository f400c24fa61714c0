"""The core pages in a real browser: admin work end to end, what a learner sees, sign-in errors, keyboard use,
a phone-width screen, and the platform operator's pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN, AUTHOR, LEARNER, ORG_SLUG, Site
from tests.e2e.helpers import main_nav, open_section, shot, sign_in
from tests.support.platform import PASSWORD
from tutela.core.auth import staff
from tutela.core.auth.dependencies import SESSION_COOKIE
from tutela.core.directory.models import StaffToken
from tutela.core.permissions.roles import StaffRole

ADMIN_SECTIONS = [  # grouped: people, AI, safety, records
    "Users",
    "Groups",
    "Permissions",
    "AI features",
    "AI resources",
    "Limits and budgets",
    "Usage and cost",
    "Prompt templates",
    "Content policies",
    "Content filters",
    "Abuse monitoring",
    "Audit log",
    "Learner completion",
    "Export",
]


def test_admin_creates_a_user_edits_the_matrix_switches_ai_off_and_sees_it_all_audited(
    make_page: Callable[..., Page], site: Site
) -> None:
    page = make_page()
    page.goto("/login")
    shot(page, "login")
    sign_in(page, ORG_SLUG, ADMIN)
    assert page.evaluate("typeof htmx") == "object", "htmx did not load"
    page.evaluate("window.sameDocument = true")  # htmx swaps pages in: this survives until a full load
    assert main_nav(page) == ["Home", "Authoring", "Learning", *ADMIN_SECTIONS]
    shot(page, "home-admin")

    # A group, then a user with a role in it.
    open_section(page, "Groups")
    page.get_by_label("Name", exact=True).fill("Authors Circle")
    page.get_by_label("Description").fill("People who write modules")
    page.get_by_role("button", name="Add group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authors Circle")
    expect(page.get_by_role("status")).to_have_text("The group was created.")
    assert page.evaluate("window.sameDocument === true"), "the form post reloaded the whole page"

    open_section(page, "Users")
    page.get_by_label("Email").fill("new.author@web.example.com")
    page.get_by_label("Name (optional)").fill("New Author")
    page.get_by_label("First password").fill(PASSWORD)
    page.get_by_label("Role").select_option("author")
    page.get_by_label("Group").select_option(label="Authors Circle")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text("The user was created.")
    row = page.get_by_role("row").filter(has_text="new.author@web.example.com")
    expect(row).to_contain_text("Author")
    expect(row).to_contain_text("Active")
    shot(page, "users")
    with site.platform.client(site.admin_token) as api:
        group = next(g for g in api.get("/api/groups").json() if g["name"] == "Authors Circle")
        members = api.get(f"/api/groups/{group['id']}/members").json()
        people = {u["id"]: u["email"] for u in api.get("/api/users").json()}
    assert [(people[m["user_id"]], m["role"]) for m in members] == [("new.author@web.example.com", "author")]
    open_section(page, "Groups")
    page.get_by_role("link", name="Authors Circle").click()
    expect(page.get_by_role("row").filter(has_text="new.author@web.example.com")).to_contain_text("Author")
    shot(page, "group")

    # A form error is a plain sentence next to its field.
    open_section(page, "Users")
    page.get_by_label("Email").fill("new.author@web.example.com")
    page.get_by_label("First password").fill(PASSWORD)
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("#email-error")).to_have_text(
        "A user with email 'new.author@web.example.com' already exists."
    )
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")

    # The matrix: let authors review and publish.
    open_section(page, "Permissions")
    cell = page.get_by_label("Author: Review and publish")
    expect(cell).not_to_be_checked()
    cell.check()
    page.get_by_role("button", name="Save permissions").click()
    expect(page.get_by_role("status")).to_have_text("The permission matrix was saved.")
    expect(page.get_by_label("Author: Review and publish")).to_be_checked()
    shot(page, "permissions")
    with site.platform.client(site.admin_token) as api:
        assert api.get("/api/org/permissions").json()["cells"]["author"]["content.review_publish"] is True

    # AI off: an author's /api/me says so.
    open_section(page, "AI features")
    page.get_by_role("button", name="Switch AI features off").click()
    expect(page.get_by_role("status")).to_contain_text("AI features are off")
    expect(page.get_by_role("button", name="Switch AI features on")).to_be_visible()
    shot(page, "ai-features")
    with site.platform.client(site.platform.login(ORG_SLUG, AUTHOR)) as author_api:
        assert author_api.get("/api/me").json()["ai_enabled"] is False

    # An API key, shown once.
    open_section(page, "AI resources")
    shot(page, "resources")
    page.get_by_role("link", name="default").click()
    page.get_by_label("Key name").fill("reporting script")
    page.get_by_role("button", name="Create API key").click()
    key_box = page.get_by_label("API key", exact=True)
    expect(key_box).to_have_value(re.compile(r"^tk1\."))
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    raw_key = key_box.input_value()
    shot(page, "resource-key-once")
    with site.platform.client(raw_key) as gateway:  # a real key, refused only because AI is off
        refused = gateway.get("/v1/models")
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "ai_disabled")
    page.reload()
    expect(page.get_by_role("row").filter(has_text="reporting script")).to_contain_text("Active")
    assert raw_key.split(".")[-1] not in page.content()

    # The audit log shows every action, and the chain verifies.
    open_section(page, "Audit log")
    expect(page.get_by_role("status")).to_contain_text("Verified")
    table = page.get_by_role("table")
    for action in (
        "group.created",
        "user.created",
        "permissions.changed",
        "org.ai_switched",
        "ai.key_created",
    ):
        expect(table.get_by_text(action, exact=True).first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="org.ai_switched").first).to_contain_text(ADMIN)
    shot(page, "audit")

    # Switch AI back on so later tests see the defaults.
    open_section(page, "AI features")
    page.get_by_role("button", name="Switch AI features on").click()
    expect(page.get_by_role("status")).to_contain_text("AI features are on")


def test_a_learner_sees_no_admin_navigation_and_gets_a_plain_403(make_page: Callable[..., Page]) -> None:
    page = make_page()
    sign_in(page, ORG_SLUG, LEARNER)
    assert main_nav(page) == ["Home", "Learning"]
    for section in ADMIN_SECTIONS:
        expect(page.get_by_role("link", name=section, exact=True)).to_have_count(0)
    shot(page, "home-learner")
    for path in ("/admin/users", "/admin/groups", "/admin/resources", "/admin/audit", "/admin/settings"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
        expect(page.locator("main p.lead")).to_have_text("Your roles do not give you access to this page.")
        assert "Traceback" not in page.content()
    response = page.goto("/admin/permissions")
    assert response is not None and response.status == 403
    expect(page.locator("main p.detail")).to_have_text(
        "Only an organization admin may change organization settings."
    )
    assert main_nav(page) == ["Home", "Learning"]
    shot(page, "forbidden")


def test_a_wrong_password_is_a_plain_sentence_next_to_the_form(make_page: Callable[..., Page]) -> None:
    page = make_page()
    page.goto("/login")
    page.get_by_label("Organization").fill(ORG_SLUG)
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Wrong organization, email or password.")
    expect(page.get_by_label("Email")).to_have_value(ADMIN)
    expect(page.get_by_label("Password")).to_have_value("")
    assert page.locator("form").filter(has=alert).count() == 1
    shot(page, "login-error")


def test_sign_in_works_with_the_keyboard_alone(make_page: Callable[..., Page]) -> None:
    page = make_page()
    page.goto("/login")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "organization":
            break
    assert page.evaluate("document.activeElement.id") == "organization"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused field must show a visible focus ring"
    page.keyboard.type(ORG_SLUG)
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def test_signing_out_ends_the_session(make_page: Callable[..., Page]) -> None:
    page = make_page()
    sign_in(page, ORG_SLUG, ADMIN)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/users$"))


def test_the_pages_fit_a_phone(make_page: Callable[..., Page]) -> None:
    page = make_page(width=390, height=844)
    sign_in(page, ORG_SLUG, ADMIN)
    for path, name in (
        ("/", "phone-home"),
        ("/admin/users", "phone-users"),
        ("/admin/permissions", "phone-permissions"),
    ):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
        shot(page, name)


def test_a_platform_operator_sees_regions_and_creates_an_organization(
    make_page: Callable[..., Page], site: Site
) -> None:
    runtime = site.platform.runtime
    with runtime.directory.session() as ddb:
        staff.create_staff(
            ddb,
            email="operator@platform.example.com",
            password=PASSWORD,
            roles={StaffRole.OPERATOR},
            location="EU",
            min_password_length=runtime.settings.auth.min_password_length,
        )
    page = make_page()
    page.goto("/platform/login")
    page.get_by_label("Email").fill("operator@platform.example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organizations and regions")
    expect(page.get_by_role("row").filter(has_text=ORG_SLUG)).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Second Org")
    page.get_by_label("First admin's email").fill("admin@second.example.com")
    page.get_by_label("First admin's password").fill("short")
    page.get_by_role("button", name="Add organization").click()
    expect(page.locator("#admin_password-error")).to_have_text("Password must have at least 10 characters.")
    page.get_by_label("First admin's password").fill(PASSWORD)
    page.get_by_role("button", name="Add organization").click()
    expect(page.get_by_role("status")).to_have_text("The organization was created.")
    expect(page.get_by_role("row").filter(has_text="second-org")).to_be_visible()
    shot(page, "platform")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/platform$"))
    session = next(c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/platform/login$"))
    with runtime.directory.session() as ddb:  # the token itself is dead, not only the cookie gone
        token = ddb.get(StaffToken, session.split(".")[2])
        assert token is not None and token.revoked_at is not None
