"""Failed authentications are throttled with the shipped limits: sign-in per account and per address, wrong
API keys and tokens per address; 429 with Retry-After in the error shape, over real HTTP, on SQLite and
PostgreSQL. Processes sharing the Redis or PostgreSQL store are in test_throttle_shared.py."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import openai
import pytest

from tests.support.platform import FAST_AUTH, PASSWORD, Platform, running_platform
from tutela.clock import ManualClock
from tutela.config import ThrottleSettings
from tutela.core.permissions.roles import Role
from tutela.gateway.resources import service as resources

DEFAULTS = ThrottleSettings()
LOGIN = "/api/auth/login"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform with the default throttle settings (the shared fixture starts delays late)."""
    data_dir = tmp_path_factory.mktemp(f"throttle-{request.param}")
    with running_platform(request.param, data_dir, auth=FAST_AUTH) as running:
        yield running


@pytest.fixture(scope="module")
def timed_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Argon2 as shipped (tens of milliseconds per check), so that a skipped password check would show."""
    with running_platform("sqlite", tmp_path_factory.mktemp("throttle-timed"), auth={}) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_counters(request: pytest.FixtureRequest) -> None:
    """Every test starts after the previous test's failures are forgotten (all clients are 127.0.0.1)."""
    name = "timed_platform" if "timed_platform" in request.fixturenames else "platform"
    platform: Platform = request.getfixturevalue(name)
    _clock(platform).advance(timedelta(seconds=DEFAULTS.forget_after_seconds + DEFAULTS.max_delay_seconds))


def _clock(platform: Platform) -> ManualClock:
    clock = platform.runtime.clock
    assert isinstance(clock, ManualClock)
    return clock


def _org(platform: Platform) -> str:
    slug = f"throttle-{uuid.uuid4().hex[:8]}"
    platform.new_org(slug)
    return slug


def _login(client: httpx.Client, org: str, email: str, password: str) -> httpx.Response:
    return client.post(LOGIN, json={"organization": org, "email": email, "password": password})


def _assert_throttled(response: httpx.Response, *, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(retry_after)
    error = response.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "too_many_attempts"
    assert f"try again in {retry_after} second" in error["message"]
    assert response.headers["x-request-id"].startswith("req_")


def test_an_account_waits_after_five_wrong_passwords_even_with_the_right_one(platform: Platform) -> None:
    org = _org(platform)
    with platform.client() as client:
        for _ in range(DEFAULTS.account_free_failures):
            assert _login(client, org, "admin@example.com", "wrong password!").status_code == 401
        # The right password is not even checked while the account waits.
        _assert_throttled(_login(client, org, "admin@example.com", PASSWORD), retry_after=1)
        _clock(platform).advance(timedelta(seconds=1))
        assert _login(client, org, "admin@example.com", "wrong again!!").status_code == 401
        _assert_throttled(_login(client, org, "admin@example.com", PASSWORD), retry_after=2)  # growing
        _clock(platform).advance(timedelta(seconds=2))
        assert _login(client, org, "admin@example.com", PASSWORD).status_code == 200
        # A success clears the account: five more failures are free again.
        for _ in range(DEFAULTS.account_free_failures):
            assert _login(client, org, "admin@example.com", "wrong password!").status_code == 401
        _assert_throttled(_login(client, org, "admin@example.com", PASSWORD), retry_after=1)


def test_unknown_organizations_and_users_are_throttled_and_timed_the_same(timed_platform: Platform) -> None:
    platform = timed_platform
    org = _org(platform)
    cases = {
        "wrong password": (org, "admin@example.com", "wrong password!"),
        "unknown user": (org, "nobody@example.com", PASSWORD),
        "unknown organization": (f"no-such-{uuid.uuid4().hex[:6]}", "admin@example.com", PASSWORD),
        "invalid organization name": ("!!!", "admin@example.com", PASSWORD),
    }
    answers: dict[str, list[tuple[int, str]]] = {}
    timings: dict[str, list[float]] = {}
    with platform.client() as client:
        for name, (organization, email, password) in cases.items():
            for _ in range(DEFAULTS.account_free_failures + 2):
                started = time.perf_counter()
                response = _login(client, organization, email, password)
                elapsed = time.perf_counter() - started
                if response.status_code == 401:
                    timings.setdefault(name, []).append(elapsed)
                answer = (response.status_code, response.json()["error"]["message"])
                answers.setdefault(name, []).append(answer)
    expected = answers["wrong password"]
    assert [status for status, _ in expected] == [401] * DEFAULTS.account_free_failures + [429, 429]
    assert all(answer == expected for answer in answers.values()), answers
    # Every refusal pays for one Argon2 check: a skipped check would be many times faster.
    wrong = statistics.median(timings["wrong password"])
    for name, values in timings.items():
        assert statistics.median(values) > 0.5 * wrong, (name, timings)


def test_an_address_waits_after_thirty_failures_across_accounts(platform: Platform) -> None:
    org = _org(platform)
    with platform.client() as client:
        for n in range(DEFAULTS.address_free_failures):
            assert _login(client, org, f"guess{n}@example.com", "wrong password!").status_code == 401
        _assert_throttled(_login(client, org, "admin@example.com", PASSWORD), retry_after=1)


def test_an_admin_unlocks_an_account_over_the_api(platform: Platform) -> None:
    org = _org(platform)
    admin = platform.login(org, "admin@example.com")
    with platform.client(admin) as client:
        created = client.post(
            "/api/users",
            json={"email": "ann@example.com", "password": PASSWORD, "role": Role.AUTHOR},
        )
        assert created.status_code == 201, created.text
        ann = created.json()["id"]
    with platform.client() as anonymous:
        for _ in range(DEFAULTS.account_free_failures):
            _login(anonymous, org, "ann@example.com", "wrong password!")
        _assert_throttled(_login(anonymous, org, "ann@example.com", PASSWORD), retry_after=1)
    author = None
    with platform.client(admin) as client:
        assert client.post(f"/api/users/{ann}/unlock").status_code == 204
        audit = client.get("/api/audit").json()
        assert any(e["action"] == "user.unlocked" and e["target"] == f"user:{ann}" for e in audit)
    with platform.client() as anonymous:
        signed_in = _login(anonymous, org, "ann@example.com", PASSWORD)
        assert signed_in.status_code == 200
        author = signed_in.json()["token"]
    with platform.client(author) as client:  # an author may not unlock anyone
        assert client.post(f"/api/users/{ann}/unlock").status_code == 403


def test_staff_sign_in_is_throttled_the_same_way(platform: Platform) -> None:
    with platform.client() as client:
        for _ in range(DEFAULTS.account_free_failures):
            response = client.post(
                "/api/platform/auth/login", json={"email": "ops@example.com", "password": "wrong password!"}
            )
            assert response.status_code == 401
        response = client.post(
            "/api/platform/auth/login", json={"email": "ops@example.com", "password": "wrong password!"}
        )
        _assert_throttled(response, retry_after=1)


def test_wrong_api_tokens_make_the_address_wait(platform: Platform) -> None:
    org = _org(platform)
    token = platform.login(org, "admin@example.com")
    forged = token.rsplit(".", 1)[0] + ".not-the-secret"
    with platform.client(forged) as client:
        for _ in range(DEFAULTS.credential_free_failures):
            assert client.get("/api/me").status_code == 401
        _assert_throttled(client.get("/api/me"), retry_after=1)
    with platform.client(token) as client:  # the right token waits too: no guess is checked meanwhile
        _assert_throttled(client.get("/api/me"), retry_after=1)
    _clock(platform).advance(timedelta(seconds=1))
    with platform.client(token) as client:
        assert client.get("/api/me").status_code == 200


def test_wrong_gateway_keys_get_openai_shaped_429s(platform: Platform) -> None:
    org = _org(platform)
    org_id = _org_id(platform, org)
    with platform.runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name="default")
        assert resource is not None
        _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
    wrong = key.rsplit(".", 1)[0] + ".not-the-secret"
    base = f"{platform.base_url}/v1"
    bad = openai.OpenAI(base_url=base, api_key=wrong, max_retries=0)
    good = openai.OpenAI(base_url=base, api_key=key, max_retries=0)
    assert good.models.list().data  # a good key passes before any failure
    for _ in range(DEFAULTS.credential_free_failures):
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
    for client in (bad, good):
        with pytest.raises(openai.RateLimitError) as caught:
            client.models.list()
        assert caught.value.response.headers["retry-after"] == "1"
        assert caught.value.code == "rate_limit_exceeded"
        assert caught.value.body["type"] == "rate_limit_error"  # type: ignore[index]
    azure = httpx.post(
        f"{platform.base_url}/openai/deployments/extractive/chat/completions?api-version=2024-10-21",
        headers={"api-key": wrong},
        json={"messages": [{"role": "user", "content": "hi"}]},
    )
    assert azure.status_code == 429
    assert azure.json()["error"]["code"] == "rate_limit_exceeded"
    _clock(platform).advance(timedelta(seconds=1))
    assert good.models.list().data


def _org_id(platform: Platform, slug: str) -> str:
    from tutela.core.directory import service as directory

    with platform.runtime.directory.session() as ddb:
        return directory.find_by_slug(ddb, slug=slug).id


def test_the_sign_in_form_waits_the_same_way(platform: Platform) -> None:
    org = _org(platform)
    with platform.client() as client:
        client.get("/login")
        form = {
            "csrf_token": client.cookies["tutela_csrf"],
            "organization": org,
            "email": "admin@example.com",
        }
        for _ in range(DEFAULTS.account_free_failures):
            assert client.post("/login", data=form | {"password": "wrong password!"}).status_code == 401
        page = client.post("/login", data=form | {"password": PASSWORD})
        assert page.status_code == 429
        assert page.headers["retry-after"] == "1"
        assert "Too many failed attempts; try again in 1 second." in page.text
        _clock(platform).advance(timedelta(seconds=1))
        assert client.post("/login", data=form | {"password": PASSWORD}).status_code == 303
