"""Reviewers assigned when a module is submitted, and the notifications of its workflow: in the app (per
person, per organization) and by e-mail through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import text

from tests.authoring.api.support import INJECTION, Org, generate, new_org, ok
from tests.support.platform import PASSWORD, Platform, running_platform
from tutela.core.notifications import mail


@dataclass
class Mailbox:
    """What the loopback SMTP server received; addresses in `refuse` are refused at RCPT TO."""

    received: list[tuple[list[str], Any]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(content, policy=policy.default)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Any]:
        return [m for rcpt, m in self.received if address in rcpt]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:  # a free port on loopback (aiosmtpd needs one named up front)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Mailbox, int]
) -> Iterator[Platform]:
    """A running Tutela whose notification e-mails go to the loopback SMTP server."""
    _, port = mailbox
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "base_url": "https://learn.example.com"}
    data = tmp_path_factory.mktemp(f"mail-{request.param}")
    with running_platform(request.param, Path(data), mail=settings) as running:
        yield running


def _coach(platform: Platform, org: Org, email: str, name: str) -> tuple[str, str]:
    """A person with the coach role (who may review and publish); returns (user id, token)."""
    with platform.client(org.admin) as admin:
        body = {"email": email, "password": PASSWORD, "role": "coach", "display_name": name}
        user_id = ok(admin.post("/api/users", json=body), 201)["id"]
    return user_id, platform.login(org.slug, email)


def _wait(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return result


def test_assigned_reviewers_are_notified_in_the_app_and_by_email(
    platform: Platform, mailbox: tuple[Mailbox, int]
) -> None:
    box, _ = mailbox
    org = new_org(platform, "Review")
    ada_id, ada = _coach(platform, org, f"ada-{org.slug}@example.com", "Ada Reviewer")
    bob_id, bob = _coach(platform, org, f"bob-{org.slug}@example.com", "Bob Reviewer")
    other = new_org(platform, "Elsewhere")
    with (
        platform.client(org.author) as author,
        platform.client(ada) as ada_client,
        platform.client(bob) as bob_client,
        platform.client(org.learner) as learner,
        platform.client(other.admin) as stranger,
    ):
        _, module_id = generate(author, INJECTION)
        title = ok(author.get(f"/api/modules/{module_id}"))["title"]

        # The author is told who may review and publish; nobody is assigned yet.
        people = ok(author.get(f"/api/modules/{module_id}/reviewers"))
        assert {p["name"] for p in people["candidates"]} >= {"Ada Reviewer", "Bob Reviewer"}
        assert people["assigned"] == []
        assert learner.get(f"/api/modules/{module_id}/reviewers").status_code == 404
        assert stranger.get(f"/api/modules/{module_id}/reviewers").status_code == 404

        # A learner cannot be asked to review: a clear error, and the module stays a draft.
        refused = author.post(
            f"/api/modules/{module_id}/state", json={"state": "in_review", "reviewer_ids": [org.learner_id]}
        )
        assert refused.status_code == 400
        assert "may review and publish" in refused.json()["error"]["message"]
        assert ok(author.get(f"/api/modules/{module_id}"))["state"] == "draft"

        # Submitted with Ada as reviewer: Ada is notified (in the app and by e-mail), Bob is not.
        ok(
            author.post(
                f"/api/modules/{module_id}/state", json={"state": "in_review", "reviewer_ids": [ada_id]}
            )
        )
        assert [p["name"] for p in ok(author.get(f"/api/modules/{module_id}/reviewers"))["assigned"]] == [
            "Ada Reviewer"
        ]
        inbox = ok(ada_client.get("/api/notifications"))
        assert inbox["unread"] == 1
        (note,) = inbox["items"]
        assert note["kind"] == "review_requested" and title in note["text"]
        assert note["link"] == f"/author/modules/{module_id}"
        assert ok(bob_client.get("/api/notifications"))["unread"] == 0
        (email,) = _wait(lambda: box.to(f"ada-{org.slug}@example.com"))
        assert title in email["Subject"]
        assert f"https://learn.example.com/author/modules/{module_id}" in email.get_content()
        assert _wait(lambda: ok(ada_client.get("/api/notifications"))["items"][0]["email"] == "sent")

        # Nobody else can read or mark Ada's notification: not Bob, not another organization's admin.
        assert bob_client.post(f"/api/notifications/{note['id']}/read").status_code == 404
        assert stranger.post(f"/api/notifications/{note['id']}/read").status_code == 404
        assert all(n["id"] != note["id"] for n in ok(bob_client.get("/api/notifications"))["items"])
        read = ok(ada_client.post(f"/api/notifications/{note['id']}/read"))
        assert read["read_at"] is not None
        assert ok(ada_client.get("/api/notifications"))["unread"] == 0

        # Sent back with a comment: the author is told, with the comment.
        back = {"state": "draft", "comment": "Shorten the second lesson."}
        ok(ada_client.post(f"/api/modules/{module_id}/state", json=back))
        mine = ok(author.get("/api/notifications"))
        assert mine["unread"] == 1 and "Shorten the second lesson." in mine["items"][0]["text"]
        assert mine["items"][0]["kind"] == "module_sent_back"

        # Submitted again (Ada still assigned), then published by Ada: the author is told.
        ok(author.post(f"/api/modules/{module_id}/state", json={"state": "in_review"}))
        assert ok(ada_client.get("/api/notifications"))["unread"] == 1
        publish = {"state": "published", "group_ids": [org.sales_id], "override_reason": "read by hand"}
        ok(platform.client(org.admin).post(f"/api/modules/{module_id}/state", json=publish))
        mine = ok(author.get("/api/notifications"))
        assert [n["kind"] for n in mine["items"][:2]] == ["module_published", "module_sent_back"]
        after = ok(author.post("/api/notifications/read"))
        assert after["unread"] == 0 and all(n["read_at"] for n in after["items"])
        assert ok(bob_client.get("/api/notifications"))["unread"] == 0

    # Stored per person and organization: Ada's row names Ada and this organization only.
    with platform.runtime.region_of(org.org_id).db.session() as db:
        rows = db.execute(
            text("SELECT org_id, user_id FROM notifications WHERE user_id = :u"), {"u": ada_id}
        ).all()
    assert rows and {tuple(r) for r in rows} == {(org.org_id, ada_id)}
    assert bob_id != ada_id


def test_a_refused_email_is_logged_kept_as_failed_and_sent_on_the_next_run(
    platform: Platform, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    box, _ = mailbox
    org = new_org(platform, "Refused")
    address = f"cy-{org.slug}@example.com"
    cy_id, cy = _coach(platform, org, address, "Cy Reviewer")
    box.refuse.add(address)
    with platform.client(org.author) as author, platform.client(cy) as cy_client:
        _, module_id = generate(author, INJECTION)
        with caplog.at_level(logging.ERROR, logger="tutela.core.notifications.mail"):
            ok(
                author.post(
                    f"/api/modules/{module_id}/state", json={"state": "in_review", "reviewer_ids": [cy_id]}
                )
            )
            note = _wait(
                lambda: next(
                    (n for n in ok(cy_client.get("/api/notifications"))["items"] if n["email"] == "failed"),
                    None,
                )
            )
        # The notification is in the app all the same; the failure is logged with the server's answer.
        assert note["kind"] == "review_requested"
        assert any("550" in r.getMessage() and note["id"] in r.getMessage() for r in caplog.records)
        with platform.runtime.region_of(org.org_id).db.session() as db:
            error = db.execute(
                text("SELECT email_error FROM notifications WHERE id = :n"), {"n": note["id"]}
            ).scalar_one()
        assert "550" in error
        assert box.to(address) == []

        # The mailbox comes back: the next delivery run sends it.
        box.refuse.discard(address)
        assert mail.deliver(platform.runtime, org_id=org.org_id)["sent"] >= 1
        assert len(box.to(address)) == 1
        assert ok(cy_client.get("/api/notifications"))["items"][0]["email"] == "sent"


def test_without_an_smtp_server_nothing_is_queued(tmp_path: Path) -> None:
    with running_platform("sqlite", tmp_path) as platform:
        org = new_org(platform, "Quiet")
        ada_id, ada = _coach(platform, org, "ada@example.com", "Ada")
        with platform.client(org.author) as author, platform.client(ada) as ada_client:
            _, module_id = generate(author, INJECTION)
            ok(
                author.post(
                    f"/api/modules/{module_id}/state", json={"state": "in_review", "reviewer_ids": [ada_id]}
                )
            )
            (note,) = ok(ada_client.get("/api/notifications"))["items"]
        assert note["email"] == "none"
