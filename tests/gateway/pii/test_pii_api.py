"""PII pseudonymisation as a client meets it: the official `openai` package through Tutela to a loopback
upstream, which must see placeholders only, while the client gets its own values back."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
from sqlalchemy import text

from tests.gateway.fake_upstream import FakeUpstream, Fault
from tests.support.platform import Platform, running_platform
from tutela.core.users import service as users
from tutela.gateway.deployments import service as deployments
from tutela.gateway.monitoring.recorder import recorder_for
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

API_VERSION = "2024-10-21"
EMAIL, PHONE, IBAN = "ada.lovelace@example.org", "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32"
PROMPT = f"Write to {EMAIL} or call {PHONE}; refund to {IBAN}. Confirm {EMAIL}."
SENT = "Write to <EMAIL_1> or call <PHONE_1>; refund to <IBAN_1>. Confirm <EMAIL_1>."
# A colleague of the organization (its directory), a name the shipped lists know, and national ids of the
# region (a `local` region checks every format): a Spanish DNI and a US Social Security number.
COLLEAGUE, LISTED, DNI, SSN = "Grete Vandersloot", "Mary Johnson", "12345678Z", "123-45-6789"
PEOPLE = f"{COLLEAGUE} (DNI {DNI}) wrote to {LISTED} about SSN {SSN}; {COLLEAGUE.upper()} signed."


@dataclass
class Wired:
    platform: Platform
    upstream: FakeUpstream
    data_dir: Path
    key: str
    token: str
    resource_id: str
    org_id: str

    def openai(self) -> openai.OpenAI:
        return self.platform.openai(self.key)

    def azure(self) -> openai.AzureOpenAI:
        return self.platform.azure(self.key, API_VERSION)

    def sent(self) -> str:
        """Everything the upstream received in the last request, as JSON text."""
        return json.dumps(self.upstream.requests[-1].json)


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wired]:
    data_dir = tmp_path_factory.mktemp("pii")
    with (
        FakeUpstream.running(deployments=("gpt-4o",)) as upstream,
        running_platform("sqlite", data_dir, gateway={"access_cache_seconds": 0}) as platform,
    ):
        name = f"Pii {uuid.uuid4().hex[:6]}"
        org_id = platform.new_org(name)
        token = platform.login(name.lower().replace(" ", "-"), "admin@example.com")
        with platform.client(token) as client:
            resource_id = client.get("/api/ai/resources").json()[0]["id"]
            created = client.post(
                f"/api/ai/resources/{resource_id}/deployments",
                json={
                    "name": "private",
                    "provider": "openai",
                    "model": "fake-model",
                    "base_url": upstream.base_url,
                    "api_key": upstream.api_key,
                    "pii": "pseudonymise",
                },
            )
            assert created.status_code == 201, created.text
            assert created.json()["options"]["pii"] == "pseudonymise"
        with platform.runtime.region_session(org_id) as db:
            common = {
                "registry": default_registry(plugins=False),
                "org_id": org_id,
                "resource_id": resource_id,
            }
            deployments.create(
                platform.runtime,
                db,
                **common,  # type: ignore[arg-type]
                name="azure-private",
                provider="azure-openai",
                model="gpt-4o",
                base_url=upstream.url,
                api_key=upstream.api_key,
                api_version=API_VERSION,
                extra_options={"pii": "pseudonymise"},
            )
            deployments.create(
                platform.runtime,
                db,
                **common,  # type: ignore[arg-type]
                name="plain",
                provider="openai",
                model="fake-model",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
            _, raw = resources.create_key(db, org_id=org_id, resource_id=resource_id)
            users.create(
                db, org_id=org_id, email="grete@example.org", display_name=COLLEAGUE,
                password="correct horse battery", min_password_length=8,
            )  # fmt: skip
        yield Wired(platform, upstream, data_dir, raw, token, resource_id, org_id)


@pytest.fixture(autouse=True)
def _fresh_upstream(wired: Wired) -> None:
    wired.upstream.reset()


def _messages() -> list[dict[str, str]]:
    return [
        {"role": "system", "content": f"The learner's address is {EMAIL}."},
        {"role": "user", "content": PROMPT},
    ]


def test_openai_client_upstream_sees_placeholders_and_client_gets_values(wired: Wired) -> None:
    reply = wired.openai().chat.completions.create(model="private", messages=_messages())  # type: ignore[arg-type]
    sent = wired.upstream.requests[-1].json["messages"]
    assert sent[0]["content"] == "The learner's address is <EMAIL_1>."  # one placeholder across messages
    assert sent[1]["content"] == SENT
    for value in (EMAIL, PHONE, IBAN, "7946", "WEST"):
        assert value not in wired.sent()
    assert reply.choices[0].message.content == f"echo: {PROMPT}"


def test_openai_client_streamed_with_placeholders_split_across_chunks(wired: Wired) -> None:
    wired.upstream.fragment = 3  # "<EM", "AIL", "_1>": no placeholder arrives whole
    stream = wired.openai().chat.completions.create(
        model="private",
        messages=_messages(),  # type: ignore[arg-type]
        stream=True,
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(pieces) == f"echo: {PROMPT}"
    assert not any("<" in p and ">" not in p for p in pieces)  # nothing half-restored reached the client
    assert EMAIL not in wired.sent() and "<EMAIL_1>" in wired.sent()


@pytest.mark.parametrize("stream", [False, True])
def test_azure_client_both_ways(wired: Wired, stream: bool) -> None:
    wired.upstream.fragment = 4
    client = wired.azure()
    if stream:
        chunks = client.chat.completions.create(model="azure-private", messages=_messages(), stream=True)  # type: ignore[arg-type]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        reply = client.chat.completions.create(model="azure-private", messages=_messages())  # type: ignore[arg-type]
        text = reply.choices[0].message.content or ""
    assert text == f"echo: {PROMPT}"
    assert wired.upstream.requests[-1].path.startswith("/openai/deployments/gpt-4o/")
    assert wired.upstream.requests[-1].json["messages"][1]["content"] == SENT


@pytest.mark.parametrize("stream", [False, True])
def test_legacy_completions_too(wired: Wired, stream: bool) -> None:
    wired.upstream.fragment = 5
    client = wired.openai()
    if stream:
        text = "".join(
            c.choices[0].text
            for c in client.completions.create(model="private", prompt=PROMPT, stream=True)
            if c.choices
        )
    else:
        text = client.completions.create(model="private", prompt=PROMPT).choices[0].text
    assert wired.upstream.requests[-1].json["prompt"] == SENT
    assert text == f"echo: {PROMPT}"


def test_a_deployment_without_the_setting_sends_the_values(wired: Wired) -> None:
    reply = wired.openai().chat.completions.create(model="plain", messages=_messages())  # type: ignore[arg-type]
    assert wired.upstream.requests[-1].json["messages"][1]["content"] == PROMPT
    assert reply.choices[0].message.content == f"echo: {PROMPT}"


def test_turned_on_and_off_over_the_api_on_record(wired: Wired) -> None:
    with wired.platform.client(wired.token) as client:
        listed = client.get(f"/api/ai/resources/{wired.resource_id}/deployments").json()
        plain = next(d["id"] for d in listed if d["name"] == "plain")
        url = f"/api/ai/resources/{wired.resource_id}/deployments/{plain}/pii"
        assert client.put(url, json={"pii": "pseudonymise"}).json() == {"pii": "pseudonymise"}
        wired.openai().chat.completions.create(model="plain", messages=_messages())  # type: ignore[arg-type]
        assert wired.upstream.requests[-1].json["messages"][1]["content"] == SENT
        assert client.put(url, json={"pii": "off"}).status_code == 200
        wired.openai().chat.completions.create(model="plain", messages=_messages())  # type: ignore[arg-type]
        assert wired.upstream.requests[-1].json["messages"][1]["content"] == PROMPT
        assert client.put(url, json={"pii": "mask"}).status_code == 422
        entries = client.get("/api/audit").json()
    changes = [e["details"] for e in entries if e["action"] == "ai.deployment_pii_changed"]
    assert {"pii": "pseudonymise"} in changes and {"pii": "off"} in changes


def test_the_built_in_model_refuses_the_setting(wired: Wired) -> None:
    with wired.platform.client(wired.token) as client:
        refused = client.post(
            f"/api/ai/resources/{wired.resource_id}/deployments",
            json={"name": "local", "provider": "extractive", "pii": "pseudonymise"},
        )
    assert refused.status_code == 400, refused.text
    assert "pii" in refused.text


def _open_vaults(wired: Wired) -> float:
    value = wired.platform.runtime.metrics.registry.get_sample_value("tutela_gateway_pii_vaults_open")
    assert value is not None
    return value


def _vaults_destroyed(wired: Wired, within: float = 5.0) -> bool:
    """Whether every request's vault is gone (a walked-away stream is closed just after the client left)."""
    deadline = time.monotonic() + within
    while _open_vaults(wired) != 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    return _open_vaults(wired) == 0


@pytest.mark.parametrize("stream", [False, True])
def test_the_vault_is_destroyed_after_an_answer(wired: Wired, stream: bool) -> None:
    client = wired.openai()
    if stream:
        wired.upstream.chunk_delay = 0.05
        chunks = client.chat.completions.create(model="private", messages=_messages(), stream=True)  # type: ignore[arg-type]
        first = next(iter(chunks))
        assert first.id and _open_vaults(wired) == 1  # the mapping is there while the answer streams
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert EMAIL in text
    else:
        reply = client.chat.completions.create(model="private", messages=_messages())  # type: ignore[arg-type]
        assert EMAIL in (reply.choices[0].message.content or "")
    assert _vaults_destroyed(wired)


@pytest.mark.parametrize(
    "fault",
    [Fault.http(400, {"error": {"message": "no", "type": "invalid_request_error"}}), Fault("die", after=2)],
    ids=["refused", "died-mid-stream"],
)
def test_the_vault_is_destroyed_after_an_upstream_error(wired: Wired, fault: Fault) -> None:
    wired.upstream.fail(fault)

    def read_to_the_end() -> None:
        stream = wired.openai().chat.completions.create(model="private", messages=_messages(), stream=True)  # type: ignore[arg-type]
        for _ in stream:
            pass

    with pytest.raises(openai.APIError):
        read_to_the_end()
    assert wired.upstream.requests, "the request reached the upstream"
    assert _vaults_destroyed(wired)


def test_the_vault_is_destroyed_when_the_client_walks_away_mid_stream(wired: Wired) -> None:
    wired.upstream.chunk_delay = 0.5  # some 10 s of answer: the client leaves well before its end
    stream = wired.openai().chat.completions.create(model="private", messages=_messages(), stream=True)  # type: ignore[arg-type]
    next(iter(stream))
    assert _open_vaults(wired) == 1
    stream.close()
    assert _vaults_destroyed(wired, within=2.0)


def test_no_mapping_is_kept_in_the_database_or_any_file(wired: Wired) -> None:
    wired.openai().chat.completions.create(model="private", messages=_messages())  # type: ignore[arg-type]
    assert recorder_for(wired.platform.runtime).flush(timeout=30), "the monitoring queue did not drain"
    with wired.platform.runtime.region_session(wired.org_id) as db:
        records = db.execute(
            text("SELECT count(*) FROM monitoring_records WHERE org_id = :org"), {"org": wired.org_id}
        ).scalar_one()
    assert records > 0  # abuse monitoring kept these exchanges: its files are among those read below
    files = [p for p in wired.data_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)
    for path in files:
        raw = path.read_bytes()
        # No placeholder, nor any value in the shape the vault sealed it (the monitoring store keeps
        # the exchange's texts sealed too, so no value appears in the clear either).
        for token in (
            b"<EMAIL_", b"<PHONE_", b"<IBAN_", b"EMAIL_1", IBAN.encode(), EMAIL.encode(), PHONE.encode(),
            b'["pii",', b"pii_vault",  # nor the vault's associated data
        ):  # fmt: skip
            assert token not in raw, f"{token!r} found in {path}"


@pytest.mark.parametrize("stream", [False, True])
def test_tool_call_arguments_come_back_restored(wired: Wired, stream: bool) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    client = wired.openai()
    if stream:
        chunks = client.chat.completions.create(
            model="private",
            messages=_messages(),  # type: ignore[arg-type]
            tools=tools,  # type: ignore[arg-type]
            stream=True,
        )
        arguments = "".join(
            call.function.arguments or ""
            for c in chunks
            if c.choices
            for call in c.choices[0].delta.tool_calls or []
            if call.function is not None
        )
    else:
        reply = client.chat.completions.create(model="private", messages=_messages(), tools=tools)  # type: ignore[arg-type]
        calls = reply.choices[0].message.tool_calls or []
        arguments = calls[0].function.arguments  # type: ignore[union-attr]
    assert json.loads(arguments) == {"q": PROMPT}
    assert wired.upstream.requests[-1].json["messages"][1]["content"] == SENT


@pytest.mark.parametrize("stream", [False, True])
def test_names_and_national_ids_leave_as_placeholders_and_come_back(wired: Wired, stream: bool) -> None:
    wired.upstream.fragment = 3  # placeholders such as <NATIONAL_ID_1> arrive in pieces
    asked = [{"role": "user", "content": PEOPLE}]
    client = wired.openai()
    if stream:
        chunks = client.chat.completions.create(model="private", messages=asked, stream=True)  # type: ignore[arg-type]
        answer = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        reply = client.chat.completions.create(model="private", messages=asked)  # type: ignore[arg-type]
        answer = reply.choices[0].message.content or ""
    sent = wired.upstream.requests[-1].json["messages"][0]["content"]
    assert sent == (
        "<PERSON_1> (DNI <NATIONAL_ID_1>) wrote to <PERSON_2> about SSN <NATIONAL_ID_2>; <PERSON_1> signed."
    )
    for value in ("Grete", "Vandersloot", "VANDERSLOOT", "Johnson", "12345678", "6789"):
        assert value not in wired.sent()
    # The same person written in capitals shares the placeholder, and comes back as first written.
    assert answer == f"echo: {PEOPLE}".replace(COLLEAGUE.upper(), COLLEAGUE)


def test_an_organization_s_directory_covers_its_own_requests_only(wired: Wired) -> None:
    other = wired.platform.gateway_org(
        f"Pii other {uuid.uuid4().hex[:6]}", wired.upstream, deployment="theirs",
        extra_options={"pii": "pseudonymise"},
    )  # fmt: skip
    stranger = "Zebulon Quartermaine"  # in no name list: only the other organization's directory knows him
    with wired.platform.runtime.region_session(other.org_id) as db:
        users.create(
            db, org_id=other.org_id, email="zeb@example.org", display_name=stranger,
            password="correct horse battery", min_password_length=8,
        )  # fmt: skip
    said = [{"role": "user", "content": f"Thank {stranger} for the session."}]
    wired.platform.openai(other.key).chat.completions.create(model="theirs", messages=said)  # type: ignore[arg-type]
    assert wired.upstream.requests[-1].json["messages"][0]["content"] == "Thank <PERSON_1> for the session."
    wired.openai().chat.completions.create(model="private", messages=said)  # type: ignore[arg-type]
    assert wired.upstream.requests[-1].json["messages"][0]["content"] == f"Thank {stranger} for the session."
