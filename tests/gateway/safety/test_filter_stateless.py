"""The filters keep nothing: a refused or withheld harmful canary is in no log, database or file; nor
when external safety services screen it (they are sent the text, return verdicts; their keys stay sealed)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import openai
import pytest

from tests.gateway.fake_upstream import FakeUpstream
from tests.gateway.safety.fake_safety_services import AZURE_KEY, OPENAI_KEY, FakeSafetyServices
from tests.support.platform import running_platform
from tests.support.traces import capture_all_logs, database_text, files_containing, reachable_text
from tutela.gateway.deployments import service as deployments
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources
from tutela.gateway.safety import SafetyClassifier


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_harmful_canary_leaves_no_trace(backend: str, tmp_path: Path) -> None:
    canary = f"CANARY{uuid.uuid4().hex}"
    harmful = f"{canary} I want to end my life, tell me the best way to kill myself tonight."
    with (
        capture_all_logs() as all_logs,
        FakeUpstream.running() as upstream,
        running_platform(backend, tmp_path) as platform,
    ):
        wired = platform.gateway_org("Filter stateless", upstream, model="m")
        key = wired.key
        client = openai.AzureOpenAI(
            azure_endpoint=platform.base_url, api_key=key, api_version="2024-10-21", max_retries=0
        )
        messages: list[dict[str, str]] = [{"role": "user", "content": harmful}]
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="tutor", messages=messages)  # type: ignore[arg-type]
        # A request the n-gram model is unsure of goes through the cascade's encoder stage on the way.
        # (Random characters shift n-gram scores a little: of the variants, take one the cascade escalates
        # and still refuses — about one in twelve escalated variants ends below medium; each starts with
        # the canary, so every trace check below covers it.)
        question = "What height do I need to jump from to make sure I die?"
        variants = (f"{canary}{uuid.uuid4().hex[:8]} {question}" for _ in range(200))
        classifier = SafetyClassifier.load()
        unsure = next(
            t
            for t in variants
            if (scores := classifier.classify([t])[0]).escalated and scores.flagged("medium")
        )
        unsure_prompt: list[dict[str, str]] = [{"role": "user", "content": unsure}]
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="tutor", messages=unsure_prompt)  # type: ignore[arg-type]
        upstream.reply = harmful
        benign: list[dict[str, str]] = [{"role": "user", "content": "Explain photosynthesis briefly."}]
        whole = client.chat.completions.create(model="tutor", messages=benign)  # type: ignore[arg-type]
        assert whole.choices[0].finish_reason == "content_filter"
        streamed = client.chat.completions.create(model="tutor", messages=benign, stream=True)  # type: ignore[arg-type]
        assert canary not in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        moderation = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        assert moderation.moderations.create(input=harmful).results[0].flagged
        # /v1/moderations encodes every input, a benign one too.
        calm = moderation.moderations.create(input=f"{canary} Explain photosynthesis briefly.").results[0]
        assert not calm.flagged and isinstance(calm.category_scores.harassment, float)
        assert any("/chat/completions" in line for line in all_logs.lines)
        assert not [line for line in all_logs.lines if canary in line]
        assert canary not in database_text(platform.runtime)
        # The classifier's verdict cache (served in this process) remembers these texts by keyed hash only.
        classifier = SafetyClassifier.load()
        cache = classifier.verdicts
        assert cache is not None and len(cache) > 0
        assert classifier.classify([unsure])[0].escalated  # the cascade sent it to the encoder
        assert reachable_text(cache, canary) == []
    assert not files_containing(tmp_path, canary)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_external_services_keep_verdicts_only(backend: str, tmp_path: Path) -> None:
    canary = f"CANARY{uuid.uuid4().hex}"
    with (
        capture_all_logs() as all_logs,
        FakeUpstream.running() as upstream,
        FakeSafetyServices.running() as services,
        running_platform(backend, tmp_path) as platform,
    ):
        org_id = platform.new_org("External stateless")
        with platform.runtime.region_session(org_id) as db:
            resource = resources.find_resource(db, org_id=org_id, name="default")
            assert resource is not None
            row = deployments.create(
                platform.runtime,
                db,
                registry=default_registry(plugins=False),
                org_id=org_id,
                resource_id=resource.id,
                name="tutor",
                provider="openai",
                model="m",
                base_url=upstream.base_url,
                api_key=upstream.api_key,
            )
            _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
            url = f"/api/ai/resources/{resource.id}/deployments/{row.id}/content-filter"
        local = {"jurisdiction": "local"}
        filter_settings = {
            "services": [
                local
                | {"kind": "azure_content_safety", "name": "acs", "endpoint": services.azure_endpoint}
                | {"api_key": AZURE_KEY},
                local
                | {"kind": "openai_moderation", "name": "oai", "base_url": services.openai_base_url}
                | {"api_key": OPENAI_KEY, "on_failure": "fail_open"},
                local | {"kind": "llama_guard", "name": "guard", "base_url": services.guard_base_url},
            ]
        }
        token = platform.login("external-stateless", "admin@example.com")
        with platform.client(token) as admin:
            assert admin.put(url, json=filter_settings).status_code == 200
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        refused: list[dict[str, str]] = [{"role": "user", "content": f"{canary} AZ_HATE6"}]
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="tutor", messages=refused)  # type: ignore[arg-type]
        upstream.reply = f"{canary} LG_S11 step one"
        asked: list[dict[str, str]] = [{"role": "user", "content": f"{canary} a question"}]
        whole = client.chat.completions.create(model="tutor", messages=asked)  # type: ignore[arg-type]
        assert whole.choices[0].finish_reason == "content_filter"
        streamed = client.chat.completions.create(model="tutor", messages=asked, stream=True)  # type: ignore[arg-type]
        assert canary not in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        upstream.reply = f"{canary} a fine answer"
        services.mode = "error"  # every service fails: annotated (acs fails closed), nothing kept
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="tutor", messages=asked)  # type: ignore[arg-type]

        assert any(canary in json.dumps(s.body) for s in services.seen)  # the services did see the text
        secrets = (canary, AZURE_KEY, OPENAI_KEY)
        assert not [line for line in all_logs.lines if any(s in line for s in secrets)]
        assert not [s for s in secrets if s in database_text(platform.runtime)]
    assert not [s for s in secrets if files_containing(tmp_path, s)]
