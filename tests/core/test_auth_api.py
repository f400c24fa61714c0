"""Sign-in, tokens and their failure modes, over real HTTP."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.gateway.monitoring.support import new_staff
from tests.support.platform import PASSWORD, Platform
from tutela.clock import ManualClock
from tutela.core.directory.models import StaffToken
from tutela.core.permissions.roles import StaffRole


def _org(platform: Platform) -> tuple[str, str]:
    name = f"Auth {uuid.uuid4().hex[:8]}"
    org_id = platform.new_org(name)
    slug = name.lower().replace(" ", "-")
    return org_id, slug


def test_login_returns_a_session_that_reaches_me(platform: Platform) -> None:
    org_id, slug = _org(platform)
    token = platform.login(slug, "admin@example.com")
    with platform.client(token) as client:
        me = client.get("/api/me")
    assert me.status_code == 200
    body = me.json()
    assert body["organization_id"] == org_id
    assert body["roles"] == ["admin"]
    assert "users.manage" in body["permissions"]
    assert me.headers["x-request-id"].startswith("req_")


def test_login_sets_an_http_only_cookie_that_authenticates(platform: Platform) -> None:
    _, slug = _org(platform)
    with platform.client() as client:
        response = client.post(
            "/api/auth/login", json={"organization": slug, "email": "ADMIN@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200
        assert "httponly" in response.headers["set-cookie"].lower()
        assert client.get("/api/me").status_code == 200  # cookie jar carries the session


def test_wrong_password_unknown_user_and_unknown_org_get_the_same_401(platform: Platform) -> None:
    _, slug = _org(platform)
    attempts = [
        {"organization": slug, "email": "admin@example.com", "password": "wrong password!"},
        {"organization": slug, "email": "nobody@example.com", "password": PASSWORD},
        {"organization": "no-such-org", "email": "admin@example.com", "password": PASSWORD},
    ]
    with platform.client() as client:
        for body in attempts:
            response = client.post("/api/auth/login", json=body)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "wrong_credentials"
            assert response.json()["error"]["message"] == "wrong organization, email or password"


def test_api_token_lifecycle_create_use_revoke(platform: Platform) -> None:
    _, slug = _org(platform)
    session = platform.login(slug, "admin@example.com")
    with platform.client(session) as client:
        created = client.post("/api/me/tokens", json={"name": "script", "expires_in_days": 7})
        assert created.status_code == 201
        token = created.json()["token"]
        listed = client.get("/api/me/tokens").json()
        assert [t["name"] for t in listed] == ["script"]
        assert token not in str(listed)
    with platform.client(token) as script:
        assert script.get("/api/me").status_code == 200
    with platform.client(session) as client:
        assert client.delete(f"/api/me/tokens/{created.json()['id']}").status_code == 204
    with platform.client(token) as script:
        response = script.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


def test_expired_token_is_refused_with_its_reason(platform: Platform) -> None:
    _, slug = _org(platform)
    session = platform.login(slug, "admin@example.com")
    with platform.client(session) as client:
        token = client.post("/api/me/tokens", json={"name": "short", "expires_in_days": 1}).json()["token"]
    clock = platform.runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=2))
    try:
        with platform.client(token) as script:
            response = script.get("/api/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_expired"
    finally:
        clock.advance(-timedelta(days=2))


def test_malformed_credentials_get_precise_401s(platform: Platform) -> None:
    with platform.client() as client:
        assert client.get("/api/me").json()["error"]["message"].startswith("sign in first")
        bad_scheme = client.get("/api/me", headers={"Authorization": "Basic abc"})
        assert bad_scheme.status_code == 401
        assert "Bearer" in bad_scheme.json()["error"]["message"]
        garbage = client.get("/api/me", headers={"Authorization": "Bearer not-a-token"})
        assert garbage.status_code == 401
        assert garbage.json()["error"]["message"].startswith("malformed credential")
        forged = f"tu1.{uuid.uuid4()}.{uuid.uuid4()}.secret"
        assert client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_logout_revokes_the_session(platform: Platform) -> None:
    _, slug = _org(platform)
    session = platform.login(slug, "admin@example.com")
    with platform.client(session) as client:
        assert client.post("/api/auth/logout").status_code == 204
        assert client.get("/api/me").status_code == 401


def test_staff_logout_revokes_the_staff_token_in_the_directory(platform: Platform) -> None:
    token = new_staff(platform, StaffRole.OPERATOR)
    with platform.client(token) as client:
        assert client.get("/api/platform/regions").status_code == 200
        assert client.post("/api/platform/auth/logout").status_code == 204
        refused = client.get("/api/platform/regions")
        assert refused.status_code == 401
        assert "revoked" in refused.json()["error"]["message"]
    token_id = token.split(".")[2]
    with platform.runtime.directory.session() as ddb:
        row = ddb.get(StaffToken, token_id)
        assert row is not None and row.revoked_at is not None


def test_malformed_json_and_bad_fields_get_precise_errors(platform: Platform) -> None:
    with platform.client() as client:
        broken = client.post(
            "/api/auth/login", content=b'{"organization": ', headers={"content-type": "application/json"}
        )
        assert broken.status_code == 400
        assert broken.json()["error"]["code"] == "invalid_json"
        missing = client.post("/api/auth/login", json={"organization": "x", "password": "y"})
        assert missing.status_code == 422
        assert missing.json()["error"]["param"] == "email"
        extra = client.post(
            "/api/auth/login",
            json={"organization": "x", "email": "a@example.com", "password": "y", "admin": True},
        )
        assert extra.status_code == 422
        assert extra.json()["error"]["param"] == "admin"
