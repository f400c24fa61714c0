"""Web hardening over real HTTP: security headers on every answer (JSON, gateway, errors, pages), HSTS when
secure cookies say the site is served over HTTPS, sign-out only with a CSRF token or a bearer token, and
every download of a source PDF in the audit log (uploads already are)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.authoring.api.support import INJECTION, generate, new_org, ok
from tests.support.platform import FAST_AUTH, Platform, running_platform

HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}


def _secured(response: httpx.Response) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, f"{response.request.url.path}: {name}"


def test_every_kind_of_answer_carries_the_security_headers(platform: Platform) -> None:
    org = new_org(platform, "Headers")
    with platform.client(org.admin) as client:
        answers = [
            client.get("/api/me"),  # JSON
            client.get("/api/nope"),  # JSON error
            httpx.get(f"{platform.base_url}/api/me"),  # 401
            client.post("/v1/chat/completions", json={"model": "x"}),  # the gateway's error shape
            client.post("/api/groups", content=b"[" * 5000, headers={"content-type": "application/json"}),
        ]
        page = client.get("/login")
    for response in answers:
        _secured(response)
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert "strict-transport-security" not in response.headers, "no HSTS without secure cookies"
    _secured(page)
    assert "script-src" in page.headers["content-security-policy"], "pages keep their own policy"


def test_hsts_when_secure_cookies_are_on(tmp_path: Path) -> None:
    auth = {**FAST_AUTH, "secure_cookies": True}
    with running_platform("sqlite", tmp_path, auth=auth) as secure:
        for response in (httpx.get(f"{secure.base_url}/healthz"), httpx.get(f"{secure.base_url}/login")):
            assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
            _secured(response)


def _csrf(client: httpx.Client, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None
    return match.group(1)


def test_sign_out_needs_a_csrf_token_or_a_bearer_token(platform: Platform) -> None:
    org = new_org(platform, "Signout")
    with httpx.Client(base_url=platform.base_url, timeout=30) as browser:
        browser.cookies.set("tutela_session", org.author)
        assert browser.get("/api/me").status_code == 200
        # The API with the cookie alone (what a same-site page could make a browser send): refused.
        refused = browser.post("/api/auth/logout")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "bearer_required"
        # The page's sign-out form without its token: refused too.
        assert browser.post("/logout", data={}).status_code == 403
        assert browser.get("/api/me").status_code == 200, "still signed in"
        token = _csrf(browser, "/")
        assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
        assert browser.get("/api/me").status_code == 401, "the session token was revoked"
    with platform.client(org.learner) as client:
        assert client.post("/api/auth/logout").status_code == 204  # a bearer token: fine
        assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("route", ["document", "attachment"])
def test_source_uploads_and_downloads_are_audited(platform: Platform, route: str) -> None:
    org = new_org(platform, "Audit")
    with platform.client(org.admin) as admin:
        document_id, module_id = generate(admin, INJECTION)
        ok(admin.patch(f"/api/modules/{module_id}", json={"attach_source": True}))
        url = (
            f"/api/documents/{document_id}/file"
            if route == "document"
            else f"/api/modules/{module_id}/attachment"
        )
        download = admin.get(url)
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
        _secured(download)
        entries = ok(admin.get("/api/audit"))
    with platform.runtime.region_session(org.org_id) as db:
        actions = [
            tuple(row)
            for row in db.execute(
                text("SELECT action, target FROM audit_entries WHERE org_id = :org ORDER BY seq"),
                {"org": org.org_id},
            )
        ]
    assert ("document.uploaded", f"document:{document_id}") in actions
    assert ("document.downloaded", f"document:{document_id}") in actions
    assert "document.downloaded" in {e["action"] for e in entries}, "admins see it through the API"
