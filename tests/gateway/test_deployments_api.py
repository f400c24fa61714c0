"""Managing deployments over REST: validation, sealed upstream keys, permissions."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.support.platform import Platform


def _admin(platform: Platform) -> tuple[str, str, str]:
    name = f"Deploy {uuid.uuid4().hex[:6]}"
    org_id = platform.new_org(name)
    token = platform.login(name.lower().replace(" ", "-"), "admin@example.com")
    with platform.client(token) as client:
        resource_id = client.get("/api/ai/resources").json()[0]["id"]
    return org_id, token, resource_id


def test_create_list_delete_with_a_sealed_upstream_key(platform: Platform) -> None:
    org_id, token, resource_id = _admin(platform)
    secret = f"sk-upstream-{uuid.uuid4().hex}"
    with platform.client(token) as client:
        created = client.post(
            f"/api/ai/resources/{resource_id}/deployments",
            json={
                "name": "gpt",
                "provider": "openai",
                "model": "gpt-4o-mini",
                "base_url": "https://api.example.com/v1",
                "api_key": secret,
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["has_stored_key"] is True
        listed = client.get(f"/api/ai/resources/{resource_id}/deployments")
        assert {d["name"] for d in listed.json()} == {"extractive", "whisper", "gpt"}
        assert secret not in created.text + listed.text
    with platform.runtime.region_session(org_id) as db:
        raw = db.execute(text("SELECT sealed_api_key, options FROM deployments WHERE name = 'gpt'")).one()
    assert secret.encode() not in bytes(raw[0])
    assert secret not in str(raw[1])
    with platform.client(token) as client:
        deleted = client.delete(f"/api/ai/resources/{resource_id}/deployments/{created.json()['id']}")
        assert deleted.status_code == 204
        names = [d["name"] for d in client.get(f"/api/ai/resources/{resource_id}/deployments").json()]
        assert names == ["extractive", "whisper"]


def test_invalid_deployments_are_refused_with_the_reason(platform: Platform) -> None:
    _, token, resource_id = _admin(platform)
    url = f"/api/ai/resources/{resource_id}/deployments"
    with platform.client(token) as client:
        unknown = client.post(url, json={"name": "x", "provider": "no-such-provider"})
        assert unknown.status_code == 400
        assert "unknown provider" in unknown.json()["error"]["message"]
        no_model = client.post(
            url, json={"name": "x", "provider": "openai", "base_url": "https://a.example/v1"}
        )
        assert no_model.status_code == 400
        assert no_model.json()["error"]["param"] == "model"
        bad_url = client.post(
            url, json={"name": "x", "provider": "azure-openai", "model": "d", "base_url": "ftp://x"}
        )
        assert bad_url.status_code == 400
        duplicate = client.post(url, json={"name": "extractive", "provider": "extractive"})
        assert duplicate.status_code == 409
        bad_name = client.post(url, json={"name": "../x", "provider": "extractive"})
        assert bad_name.status_code == 400


def test_only_roles_with_manage_ai_resources_may_touch_deployments(platform: Platform) -> None:
    _, token, resource_id = _admin(platform)
    with platform.client(token) as client:
        client.post(
            "/api/users",
            json={
                "email": "author@example.com",
                "password": "correct horse battery staple",
                "role": "author",
            },
        ).raise_for_status()
        org_slug = client.get("/api/org").json()["slug"]
    author = platform.login(org_slug, "author@example.com")
    with platform.client(author) as client:
        response = client.get(f"/api/ai/resources/{resource_id}/deployments")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"
