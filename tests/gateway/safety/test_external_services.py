"""Each external safety service against a loopback server speaking its real protocol, including slow,
failing, refused and malformed replies (no text is stored by any of them: see test_filter_stateless)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.gateway.safety.fake_safety_services import AZURE_KEY, OPENAI_KEY, FakeSafetyServices
from tests.support.server import free_port
from tutela.gateway.safety.external.base import NullService, ScreenText, ServiceVerdict
from tutela.gateway.safety.external.combine import combine
from tutela.gateway.safety.external.llama_guard import parse_reply
from tutela.gateway.safety.external.runner import ExternalChecks, Outcome, build
from tutela.gateway.safety.external.schemas import (
    AzureContentSafetySettings,
    LlamaGuardSettings,
    OpenAIModerationSettings,
)
from tutela.gateway.safety.schemas import PromptFilter
from tutela.gateway.safety.verdicts import Segment, Verdict

pytestmark = pytest.mark.anyio
LOCAL = frozenset({"local"})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSafetyServices]:
    with FakeSafetyServices.running() as server:
        yield server


@pytest.fixture
async def checks(fake: FakeSafetyServices) -> AsyncIterator[ExternalChecks]:
    fake.mode, fake.delay = "ok", 0.0
    fake.seen.clear()
    runner = ExternalChecks()
    yield runner
    await runner.close()


def azure(fake: FakeSafetyServices, **extra: Any) -> AzureContentSafetySettings:
    fields: dict[str, Any] = {
        "kind": "azure_content_safety",
        "name": "acs",
        "jurisdiction": "local",
        "endpoint": fake.azure_endpoint,
    }
    return AzureContentSafetySettings.model_validate(fields | extra)


def moderation(fake: FakeSafetyServices, **extra: Any) -> OpenAIModerationSettings:
    fields = {
        "kind": "openai_moderation",
        "name": "oai",
        "jurisdiction": "local",
        "base_url": fake.openai_base_url,
    }
    return OpenAIModerationSettings.model_validate(fields | extra)


def guard(fake: FakeSafetyServices, **extra: Any) -> LlamaGuardSettings:
    fields = {
        "kind": "llama_guard",
        "name": "guard",
        "jurisdiction": "local",
        "base_url": fake.guard_base_url,
    }
    return LlamaGuardSettings.model_validate(fields | extra)


KEYS = {"acs": AZURE_KEY, "oai": OPENAI_KEY}


def prompt(*segments: tuple[str, str]) -> ScreenText:
    return ScreenText("prompt", tuple(Segment(text, role) for text, role in segments))  # type: ignore[arg-type]


async def run_one(
    checks: ExternalChecks, settings: Any, text: ScreenText, **build_args: Any
) -> ServiceVerdict:
    services = build(
        [settings], sealed_keys=build_args.get("keys", KEYS), allowed=build_args.get("allowed", LOCAL)
    )
    [[(verdict, _)]] = await checks.run(services, [text])
    return verdict


# --- Azure AI Content Safety --------------------------------------------------------------------------------


async def test_azure_four_levels_map_onto_bands_with_the_key_header(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    verdict = await run_one(checks, azure(fake), prompt(("AZ_HATE6 AZ_VIOLENCE4 AZ_SEXUAL2", "user")))
    assert verdict.status == "ok"
    assert verdict.severities == {"hate": "high", "violence": "medium", "sexual": "low", "self_harm": "safe"}
    analyze = next(s for s in fake.seen if s.path.endswith("text:analyze"))
    assert analyze.headers["ocp-apim-subscription-key"] == AZURE_KEY
    assert analyze.query == {"api-version": "2024-09-01"}
    assert analyze.body["categories"] == ["Hate", "SelfHarm", "Sexual", "Violence"]
    assert analyze.body["outputType"] == "FourSeverityLevels"


@pytest.mark.parametrize(("level", "band"), [(1, "safe"), (3, "low"), (5, "medium"), (7, "high")])
async def test_azure_eight_levels_map_onto_bands(
    checks: ExternalChecks, fake: FakeSafetyServices, level: int, band: str
) -> None:
    settings = azure(fake, output_type="EightSeverityLevels")
    verdict = await run_one(checks, settings, prompt((f"AZ_SELFHARM{level}", "user")))
    assert verdict.severities["self_harm"] == band


async def test_azure_shields_user_turns_and_documents_separately(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    text = prompt(("AZ_JAILBREAK now", "user"), ("a plain passage", "document"), ("system words", "other"))
    verdict = await run_one(checks, azure(fake), text)
    assert verdict.detections == {"jailbreak": True, "indirect_attack": False}
    shield = next(s for s in fake.seen if s.path.endswith("text:shieldPrompt"))
    assert shield.body == {"userPrompt": "AZ_JAILBREAK now", "documents": ["a plain passage"]}
    fake.seen.clear()
    verdict = await run_one(
        checks, azure(fake), prompt(("hello", "user"), ("AZ_INJECT ignore rules", "document"))
    )
    assert verdict.detections == {"jailbreak": False, "indirect_attack": True}


async def test_azure_blocklists_keep_only_the_list_name(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    settings = azure(fake, blocklist_names=["brand-terms"], halt_on_blocklist_hit=True)
    verdict = await run_one(checks, settings, prompt(("say AZ_BLOCKED please", "user")))
    assert verdict.blocklists == ["brand-terms"]
    analyze = next(s for s in fake.seen if s.path.endswith("text:analyze"))
    assert analyze.body["blocklistNames"] == ["brand-terms"] and analyze.body["haltOnBlocklistHit"] is True


async def test_azure_long_texts_go_in_pieces_within_its_limit(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    long = "word " * 4_000 + "AZ_VIOLENCE6"  # 20,012 characters: three pieces
    verdict = await run_one(checks, azure(fake, shield_prompt=False), prompt((long, "user")))
    assert verdict.status == "ok" and verdict.severities["violence"] == "high"
    assert len(fake.seen) == 3 and all(len(s.body["text"]) <= 10_000 for s in fake.seen)


async def test_far_too_long_a_text_is_not_sent(checks: ExternalChecks, fake: FakeSafetyServices) -> None:
    verdict = await run_one(checks, azure(fake), prompt(("x" * 170_001, "user")))
    assert verdict.status == "too_long" and fake.seen == []


# --- OpenAI moderation --------------------------------------------------------------------------------------


async def test_openai_moderation_maps_categories_and_bands(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    verdict = await run_one(
        checks, moderation(fake), prompt(("OAI_VIOLENCE OAI_HARASS OAI_LOW_SEXUAL", "user"))
    )
    assert verdict.severities == {"violence": "high", "hate": "medium", "sexual": "low", "self_harm": "safe"}
    [seen] = fake.seen
    assert seen.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.body["model"] == "omni-moderation-latest"


async def test_openai_moderation_reports_illicit_as_other(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    verdict = await run_one(checks, moderation(fake), prompt(("OAI_ILLICIT", "user")))
    assert verdict.other == ["illicit"] and verdict.severities["violence"] == "safe"


async def test_a_wrong_key_is_rejected_not_retried(checks: ExternalChecks, fake: FakeSafetyServices) -> None:
    verdict = await run_one(checks, moderation(fake), prompt(("hi", "user")), keys={"oai": "sk-wrong"})
    assert verdict.status == "rejected" and len(fake.seen) == 1


# --- Llama Guard --------------------------------------------------------------------------------------------


async def test_guard_classifies_a_prompt_as_the_user_turn(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    verdict = await run_one(checks, guard(fake), prompt(("LG_S1 LG_S10 LG_S14 LG_S2", "user")))
    assert verdict.severities == {"violence": "high", "hate": "high"}
    assert verdict.detections == {"jailbreak": True}
    assert verdict.other == ["S2"] and not verdict.other_filters
    [seen] = fake.seen
    assert seen.body["messages"] == [{"role": "user", "content": "LG_S1 LG_S10 LG_S14 LG_S2"}]
    assert seen.body["model"] == "llama-guard3" and "authorization" not in seen.headers


async def test_guard_classifies_a_completion_as_the_agent_turn_after_its_prompt(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    text = ScreenText("completion", (Segment("LG_S11 here is how"),), context="a question LG_S1")
    verdict = await run_one(checks, guard(fake, other_categories="filter"), text)
    assert verdict.severities == {"self_harm": "high"}  # the prompt's marker is not the reply's
    [seen] = fake.seen
    assert seen.body["messages"] == [
        {"role": "user", "content": "a question LG_S1"},
        {"role": "assistant", "content": "LG_S11 here is how"},
    ]


@pytest.mark.parametrize(
    ("reply", "codes"),
    [("safe", []), ("unsafe\nS1,S10", ["S1", "S10"]), ("\n unsafe \n S3 \n", ["S3"]), ("safe\n", [])],
)
def test_guard_replies_parse(reply: str, codes: list[str]) -> None:
    assert parse_reply(reply) == codes


@pytest.mark.parametrize(
    "reply", ["", "Safe!", "unsafe", "unsafe\nS15", "unsafe\nviolence", "safe\nS1", None]
)
def test_guard_replies_that_are_not_the_format_are_malformed(reply: Any) -> None:
    from tutela.gateway.safety.external.base import ServiceFailure

    with pytest.raises(ServiceFailure) as caught:
        parse_reply(reply)
    assert caught.value.status == "malformed"


# --- failures, timeouts, residency, concurrency -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "status"), [("error", "unavailable"), ("malformed", "malformed"), ("not_json", "malformed")]
)
async def test_failing_services_give_a_status_not_a_verdict(
    checks: ExternalChecks, fake: FakeSafetyServices, mode: Any, status: str
) -> None:
    fake.mode = mode
    for settings in (azure(fake), moderation(fake), guard(fake)):
        verdict = await run_one(checks, settings, prompt(("hello", "user")))
        assert (verdict.service, verdict.status, verdict.severities) == (settings.name, status, {})


async def test_a_slow_service_times_out_within_its_budget(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    fake.mode, fake.delay = "slow", 3.0
    started = time.perf_counter()
    verdict = await run_one(checks, azure(fake, timeout_seconds=0.3), prompt(("hello", "user")))
    assert verdict.status == "timeout"
    assert time.perf_counter() - started < 1.5


async def test_connection_refused_is_unavailable(checks: ExternalChecks) -> None:
    settings = LlamaGuardSettings(
        kind="llama_guard", name="down", jurisdiction="local", base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    verdict = await run_one(checks, settings, prompt(("hello", "user")))
    assert verdict.status == "unavailable"


async def test_a_service_the_region_forbids_is_never_called(
    checks: ExternalChecks, fake: FakeSafetyServices
) -> None:
    verdict = await run_one(
        checks, azure(fake, jurisdiction="US"), prompt(("hello", "user")), allowed=frozenset({"EEA"})
    )
    assert verdict.status == "not_allowed_in_region" and fake.seen == []


async def test_a_missing_key_is_never_sent_for(checks: ExternalChecks, fake: FakeSafetyServices) -> None:
    verdict = await run_one(
        checks, azure(fake, api_key_env="TUTELA_TEST_UNSET_KEY"), prompt(("hi", "user")), keys={}
    )
    assert verdict.status == "no_credentials" and fake.seen == []


async def test_services_run_at_the_same_time(checks: ExternalChecks, fake: FakeSafetyServices) -> None:
    fake.mode, fake.delay = "slow", 0.4
    services = build([azure(fake), moderation(fake), guard(fake)], sealed_keys=KEYS, allowed=LOCAL)
    started = time.perf_counter()
    [outcomes] = await checks.run(services, [prompt(("hello", "user"))])
    elapsed = time.perf_counter() - started
    assert [v.status for v, _ in outcomes] == ["ok", "ok", "ok"]
    assert elapsed < 0.8, f"four calls of 0.4 s took {elapsed:.2f} s: not concurrent"


async def test_the_null_service_says_nothing(checks: ExternalChecks) -> None:
    verdict = await NullService().check(None, prompt(("anything", "user")))  # type: ignore[arg-type]
    assert verdict.status == "ok" and not verdict.severities


# --- combining ----------------------------------------------------------------------------------------------


def builtin(**overrides: Any) -> Verdict:
    results: dict[str, Any] = {
        c: {"filtered": False, "severity": "low"} for c in ("hate", "sexual", "violence", "self_harm")
    }
    results["jailbreak"] = {"filtered": False, "detected": False}
    return Verdict(results=results | overrides, filtered=False)


def test_the_strictest_verdict_wins_and_names_its_source() -> None:
    acs = ServiceVerdict(
        service="acs", kind="azure_content_safety", severities={"hate": "high", "sexual": "safe"}
    )
    acs.detections["jailbreak"] = True
    outcomes: list[Outcome] = [(acs, "fail_closed")]
    verdict = combine(builtin(), outcomes, PromptFilter())
    assert verdict.filtered
    assert verdict.results["hate"] == {"filtered": True, "severity": "high", "source": "acs"}
    assert verdict.results["sexual"] == {"filtered": False, "severity": "low", "source": "builtin"}
    assert verdict.results["jailbreak"] == {"filtered": True, "detected": True, "source": "acs"}
    assert verdict.results["external_services"] == {
        "filtered": False,
        "details": [{"id": "acs", "kind": "azure_content_safety", "status": "ok", "filtered": False}],
    }


@pytest.mark.parametrize(("on_failure", "filtered"), [("fail_open", False), ("fail_closed", True)])
def test_a_failed_service_filters_only_when_fail_closed(on_failure: Any, filtered: bool) -> None:
    down = ServiceVerdict(service="guard", kind="llama_guard", status="timeout")
    verdict = combine(builtin(), [(down, on_failure)], PromptFilter())
    assert verdict.filtered is filtered
    assert verdict.results["external_services"]["details"] == [
        {
            "id": "guard",
            "kind": "llama_guard",
            "status": "timeout",
            "filtered": filtered,
            "outcome": on_failure,
        }
    ]
    assert verdict.results["hate"]["source"] == "builtin"


def test_other_categories_filter_only_when_asked() -> None:
    said = ServiceVerdict(service="guard", kind="llama_guard", other=["S2"])
    assert not combine(builtin(), [(said, "fail_closed")], PromptFilter()).filtered
    said.other_filters = True
    assert combine(builtin(), [(said, "fail_closed")], PromptFilter()).filtered


async def test_a_key_from_the_environment_is_read_when_the_policy_loads(
    checks: ExternalChecks, fake: FakeSafetyServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUTELA_TEST_ACS_KEY", AZURE_KEY)
    settings = azure(fake, api_key_env="TUTELA_TEST_ACS_KEY", shield_prompt=False)
    verdict = await run_one(checks, settings, prompt(("AZ_HATE6", "user")), keys={})
    assert verdict.status == "ok" and verdict.severities["hate"] == "high"
    assert fake.seen[0].headers["ocp-apim-subscription-key"] == AZURE_KEY


@pytest.mark.parametrize("severity", [-1, 8, 2.5, "4", None, True])
def test_azure_severities_outside_0_to_7_are_malformed(severity: Any) -> None:
    from tutela.gateway.safety.external.azure_content_safety import band
    from tutela.gateway.safety.external.base import ServiceFailure

    with pytest.raises(ServiceFailure) as caught:
        band(severity)
    assert caught.value.status == "malformed"


def test_a_text_with_documents_is_judged_at_the_authoring_document_level() -> None:
    acs = ServiceVerdict(service="acs", kind="azure_content_safety", severities={"violence": "medium"})
    # The built-in classifier let a medium document passage through at the "high only" document level.
    passed = builtin(sexual={"filtered": False, "severity": "medium"})
    at_document_level = combine(passed, [(acs, "fail_closed")], PromptFilter(), document_level="high")
    assert not at_document_level.filtered
    assert at_document_level.results["violence"] == {"filtered": False, "severity": "medium", "source": "acs"}
    assert at_document_level.results["sexual"] == {
        "filtered": False,
        "severity": "medium",
        "source": "builtin",
    }
    high = ServiceVerdict(service="acs", kind="azure_content_safety", severities={"violence": "high"})
    assert combine(passed, [(high, "fail_closed")], PromptFilter(), document_level="high").filtered
    # Without documents the deployment's thresholds (medium by default) apply to the service's verdict.
    assert combine(passed, [(acs, "fail_closed")], PromptFilter()).results["violence"]["filtered"]
