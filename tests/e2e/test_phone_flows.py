"""Each role's work at phone width (375 px), by keyboard where a person could: an author uploads, generates
and submits a module; the admin, as its reviewer, follows the notification and sends it back with a comment,
which the author reads; an admin adds a group and a user; platform staff sign in and go through their queues.
Every page on the way passes axe-core and needs no sideways scrolling. (The learner's player is walked at
this width, by keyboard, in test_learner_player.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.authoring.api.support import INJECTION
from tests.e2e.conftest import ADMIN, AUTHOR, ORG_SLUG, Site
from tests.e2e.helpers import fits_a_phone, shot, sign_in, tab_to
from tests.support.platform import PASSWORD
from tutela.core.auth import staff as staff_service
from tutela.core.permissions.roles import StaffRole

PHONE = (375, 812)
BELL = re.compile(r"Notifications( \d+ unread)?")


def test_an_author_submits_and_the_reviewer_sends_back_on_a_phone(make_page: Callable[..., Page]) -> None:
    author = make_page(*PHONE)
    sign_in(author, ORG_SLUG, AUTHOR)
    tab_to(author, "Authoring")
    author.keyboard.press("Enter")
    expect(author.get_by_role("heading", level=1)).to_have_text("Authoring")
    fits_a_phone(author, "the author's modules on a phone")
    tab_to(author, "Create a module from a PDF")
    author.keyboard.press("Enter")
    fits_a_phone(author, "the upload form on a phone")
    author.get_by_label("PDF file").set_input_files(str(INJECTION))  # a file chooser is the system's own
    tab_to(author, "Upload and generate")
    author.keyboard.press("Enter")
    expect(author).to_have_url(re.compile(r"/author/jobs/"))
    expect(author.get_by_role("link", name="Review the draft")).to_be_visible(timeout=60_000)
    fits_a_phone(author, "the finished job on a phone")
    tab_to(author, "Review the draft")
    author.keyboard.press("Enter")
    expect(author.get_by_role("heading", name="Check report")).to_be_visible()
    fits_a_phone(author, "the review workspace on a phone")
    title = author.get_by_role("heading", level=1).inner_text()
    tab_to(author, "Submit for review", limit=600)
    author.keyboard.press("Enter")
    expect(author.get_by_role("status")).to_contain_text("submitted")
    fits_a_phone(author, "the submitted module on a phone")
    shot(author, "phone-author-submitted")

    # The admin reviews: from the bell to the module, a comment typed, sent back, all by keyboard.
    reviewer = make_page(*PHONE)
    sign_in(reviewer, ORG_SLUG, ADMIN)
    tab_to(reviewer, BELL)
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("heading", level=1)).to_have_text("Notifications")
    fits_a_phone(reviewer, "the reviewer's notifications on a phone")
    tab_to(reviewer, f"“{title}” waits for your review.")
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("heading", level=1)).to_have_text(title)
    fits_a_phone(reviewer, "the module under review on a phone")
    reviewer.get_by_label("What should the author change?").focus()
    reviewer.keyboard.type("Add an example to the first lesson.")
    tab_to(reviewer, "Send back to the author")
    reviewer.keyboard.press("Enter")
    expect(reviewer.get_by_role("status")).to_contain_text("its author was told")
    fits_a_phone(reviewer, "the module sent back on a phone")
    shot(reviewer, "phone-reviewer-sent-back")

    # The author reads the comment from the bell.
    author.goto("/")
    tab_to(author, BELL)
    author.keyboard.press("Enter")
    expect(author.locator("li.notification.unread").first).to_contain_text(
        "Add an example to the first lesson."
    )
    fits_a_phone(author, "the author's notifications on a phone")


def test_an_admin_adds_a_group_and_a_user_on_a_phone(make_page: Callable[..., Page]) -> None:
    page = make_page(*PHONE)
    sign_in(page, ORG_SLUG, ADMIN)
    fits_a_phone(page, "the admin's home on a phone")
    tab_to(page, "Groups")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Groups")
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Phone readers")
    page.keyboard.press("Tab")
    page.keyboard.type("Made on a phone")
    tab_to(page, "Add group")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone readers")
    expect(page.get_by_role("status")).to_have_text("The group was created.")
    fits_a_phone(page, "a new group on a phone")

    tab_to(page, "Users")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    page.get_by_label("Email").focus()
    page.keyboard.type("phone.learner@web.example.com")
    page.get_by_label("First password").focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("The user was created.")
    expect(page.get_by_role("row").filter(has_text="phone.learner@web.example.com")).to_contain_text("Active")
    fits_a_phone(page, "the users page after adding one, on a phone")
    shot(page, "phone-admin-users")


def test_platform_staff_sign_in_and_go_through_their_queues_on_a_phone(
    make_page: Callable[..., Page], site: Site
) -> None:
    runtime = site.platform.runtime
    email = "phone-staff@platform.example.com"
    with runtime.directory.session() as ddb:
        staff_service.create_staff(
            ddb,
            email=email,
            password=PASSWORD,
            roles={StaffRole.OPERATOR, StaffRole.SAFETY_REVIEWER, StaffRole.SAFETY_MANAGER},
            location="EU",
            min_password_length=runtime.settings.auth.min_password_length,
        )
    page = make_page(*PHONE)
    page.goto("/platform/login")
    fits_a_phone(page, "the staff sign-in on a phone")
    page.get_by_label("Email").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organizations and regions")
    fits_a_phone(page, "organizations and regions on a phone")
    for section in ("Flagged items", "Access requests", "Opt-out requests"):
        tab_to(page, section)
        page.keyboard.press("Enter")
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name=section)
        ).to_have_attribute("aria-current", "page")
        fits_a_phone(page, f"{section.lower()} on a phone")
    shot(page, "phone-platform-opt-outs")
