"""Authoring screens an organization's documents at its own level; no API key can get that level.

The real classifier scores a violent sentence; the deployment's prompt filter is set to refuse exactly that
severity. The product's own caller then passes or is refused by the organization's authoring document
filter alone, while a caller with a key is refused whatever its `document_filter` says.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest

from tests.support.platform import FAST_AUTH, open_runtime
from tutela.authoring.generation import prompts
from tutela.authoring.generation.schemas import Summary
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import Caller, caller_for_org
from tutela.gateway.deployments import service as deployments
from tutela.gateway.pipeline import Gateway
from tutela.gateway.resources import service as resources
from tutela.gateway.safety import SafetyClassifier
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.schemas import CompletionFilter, FilterSettings, PromptFilter
from tutela.gateway.wire.exceptions import GatewayError
from tutela.gateway.wire.parsing import parse_chat_request
from tutela.gateway.wire.passages import Passage
from tutela.runtime import Runtime

VIOLENT = "I am going to shoot my coworker tomorrow and then stab his wife until she bleeds out."
LEVELS = ("low", "medium", "high")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("screening"), auth=FAST_AUTH)
    with open_runtime(settings) as rt:
        yield rt


@pytest.fixture(scope="module")
def severity() -> str:
    found = SafetyClassifier.load().classify([VIOLENT])[0].harm("violence").severity
    assert found in LEVELS, "the classifier no longer sees violence in the test sentence: pick another"
    return str(found)


@pytest.fixture(scope="module")
def org_id(runtime: Runtime, severity: str) -> str:
    """An organization whose extractive deployment refuses prompts from the sentence's severity on."""
    org = organizations.create(runtime, name="Screening", region=runtime.settings.home_region, actor="test")
    with runtime.region_session(org.id) as db:
        resource = resources.find_resource(db, org_id=org.id, name="default")
        assert resource is not None
        row = deployments.find(db, org_id=org.id, resource_id=resource.id, name="extractive")
        off = {c: "off" for c in ("hate", "sexual", "violence", "self_harm")}
        policy = FilterSettings(prompt=PromptFilter(violence=severity), completion=CompletionFilter(**off))
        safety.set_filter(db, org_id=org.id, deployment_id=row.id, settings=policy)
    return org.id


def _refused(runtime: Runtime, caller: Caller) -> bool:
    body = prompts.chat_body(
        model="extractive",
        schema_name="summary",
        schema=Summary.model_json_schema(),
        system=prompts.system_message("summary", ""),
        passages=[Passage(page=1, text=VIOLENT)],
        title="Report",
        language="en",
        seed=0,
    )

    async def run() -> str:
        gateway = Gateway(runtime)
        try:
            await gateway.chat(caller, parse_chat_request(body), deployment="extractive")
        except GatewayError as exc:
            return exc.code or ""
        finally:
            await gateway.close()
        return "passed"

    outcome = asyncio.run(run())
    assert outcome in ("passed", "content_filter"), outcome
    return outcome == "content_filter"


def _set(runtime: Runtime, org_id: str, level: str) -> Caller:
    with runtime.region_session(org_id) as db:
        organizations.set_authoring_document_filter(db, org_id=org_id, level=level)
    return caller_for_org(runtime, org_id)


def test_new_organizations_screen_documents_at_high_only(runtime: Runtime, org_id: str) -> None:
    assert caller_for_org(runtime, org_id).document_filter == "high"


def test_authoring_screens_documents_at_the_organizations_level(
    runtime: Runtime, org_id: str, severity: str
) -> None:
    assert not _refused(runtime, _set(runtime, org_id, "off"))
    assert _refused(runtime, _set(runtime, org_id, severity))
    for looser in LEVELS[LEVELS.index(severity) + 1 :]:
        assert not _refused(runtime, _set(runtime, org_id, looser))


def test_a_caller_with_a_key_keeps_the_deployments_thresholds(runtime: Runtime, org_id: str) -> None:
    keyed = dataclasses.replace(_set(runtime, org_id, "off"), key_id="key_123")
    assert keyed.document_filter == "off" and _refused(runtime, keyed)
