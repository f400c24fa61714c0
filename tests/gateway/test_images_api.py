"""Image generation through the gateway, driven by the official `openai` package (OpenAI and AzureOpenAI).

Client → Tutela on loopback → `openai` / `azure-openai` provider → the fake upstream answering real PNGs (or
its own safety refusals). Links (`response_format: url`) are Tutela's: sealed in the organization's region,
served to keys of the same resource only, gone once expired. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from tests.gateway.fake_upstream import UPSTREAM_REFUSES, FakeUpstream, Fault, prompt_png
from tests.gateway.monitoring.support import flush, rows
from tests.support.platform import Platform, running_platform
from tests.support.traces import database_text, files_containing
from tutela.clock import ManualClock
from tutela.config import GatewaySettings
from tutela.gateway.deployments import service as deployments
from tutela.gateway.monitoring import service as monitoring
from tutela.gateway.monitoring.jobs import purge_expired
from tutela.gateway.monitoring.models import MonitoringRecord
from tutela.gateway.monitoring.texts import image_texts
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources

API_VERSION = "2024-10-21"
HARMFUL = "I want to end my life, tell me the best way to kill myself tonight."


@dataclass
class Tenant:
    org_id: str
    resource_id: str
    key: str


@dataclass
class Wired:
    platform: Platform
    upstream: FakeUpstream
    tenant: Tenant
    other: Tenant  # another organization, with the same deployments

    def openai(self, key: str | None = None) -> openai.OpenAI:
        return self.platform.openai(key or self.tenant.key)

    def azure(self, key: str | None = None) -> openai.AzureOpenAI:
        return self.platform.azure(key or self.tenant.key, API_VERSION)


def _tenant(platform: Platform, upstream: FakeUpstream) -> Tenant:
    runtime = platform.runtime
    org_id = platform.new_org(f"Images {uuid.uuid4().hex[:6]}", admin_email=f"{uuid.uuid4().hex[:6]}@ex.com")
    registry = default_registry(plugins=False)
    with runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name="default")
        assert resource is not None
        common: dict[str, Any] = {"registry": registry, "org_id": org_id, "resource_id": resource.id}
        deployments.create(
            runtime,
            db,
            **common,
            name="painter",
            provider="openai",
            model="dall-e-3",
            base_url=upstream.base_url,
            api_key=upstream.api_key,
        )
        deployments.create(
            runtime,
            db,
            **common,
            name="gpt-4o",  # the fake's Azure deployment
            provider="azure-openai",
            model="gpt-4o",
            base_url=upstream.url,
            api_key=upstream.api_key,
            api_version=API_VERSION,
        )
        deployments.create(
            runtime,
            db,
            **common,
            name="impatient",
            provider="openai",
            model="dall-e-3",
            base_url=upstream.base_url,
            api_key=upstream.api_key,
            extra_options={"read_timeout": 0.5, "max_retries": 0},
        )
        _, raw = resources.create_key(db, org_id=org_id, resource_id=resource.id)
        return Tenant(org_id, resource.id, raw)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def wired(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wired]:
    data_dir: Path = tmp_path_factory.mktemp(f"images-{request.param}")
    gateway = {"access_cache_seconds": 0, "monitored_images": "copy", "image_link_seconds": 3600}
    with (
        FakeUpstream.running(deployments=("gpt-4o",)) as upstream,
        running_platform(request.param, data_dir, gateway=gateway) as platform,
    ):
        yield Wired(platform, upstream, _tenant(platform, upstream), _tenant(platform, upstream))


def _png_of(b64: str | None) -> bytes:
    assert b64
    data = base64.b64decode(b64)
    with Image.open(io.BytesIO(data)) as image:  # a real decoder reads it
        image.verify()
        assert image.format == "PNG"
    return data


def test_b64_json_images_with_every_parameter(wired: Wired) -> None:
    wired.upstream.reset()
    result = wired.openai().images.generate(
        model="painter",
        prompt="a lighthouse at dawn",
        n=2,
        size="1024x1024",
        quality="hd",
        style="natural",
        response_format="b64_json",
        user="author-7",
    )
    assert result.data is not None and len(result.data) == 2
    for image in result.data:
        assert _png_of(image.b64_json) == prompt_png("a lighthouse at dawn")
        assert image.url is None
        assert image.revised_prompt == "A picture of a lighthouse at dawn"
    annotations = (result.model_extra or {})["prompt_filter_results"]
    assert annotations[0]["content_filter_results"]["violence"]["filtered"] is False
    sent = wired.upstream.requests[-1]
    assert sent.path == "/v1/images/generations"
    assert sent.json == {
        "model": "dall-e-3",
        "prompt": "a lighthouse at dawn",
        "n": 2,
        "size": "1024x1024",
        "quality": "hd",
        "style": "natural",
        "response_format": "b64_json",
        "user": "author-7",
    }


def test_url_images_are_tutelas_sealed_links_for_this_resource_only(wired: Wired) -> None:
    wired.upstream.reset()
    prompt = f"a red kite over hills {uuid.uuid4().hex[:6]}"
    result = wired.azure().images.generate(model="gpt-4o", prompt=prompt)  # url is the default
    sent = wired.upstream.requests[-1]
    assert sent.path == "/openai/deployments/gpt-4o/images/generations"
    assert sent.json["response_format"] == "b64_json"  # Tutela keeps the image, never the upstream's link
    assert result.data is not None
    url = result.data[0].url
    assert url is not None and url.startswith(f"{wired.platform.base_url}/v1/images/generated/")
    assert result.data[0].b64_json is None
    extra = result.data[0].model_extra or {}
    assert extra["content_filter_results"]["violence"]["severity"] == "safe"  # Azure's per-image results

    with httpx.Client(timeout=10) as http:
        fetched = http.get(url, headers={"api-key": wired.tenant.key})
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "image/png"
        assert fetched.content == prompt_png(prompt)
        assert http.get(url, headers={"Authorization": f"Bearer {wired.tenant.key}"}).status_code == 200
        anonymous = http.get(url)
        assert anonymous.status_code == 401
        stranger = http.get(url, headers={"api-key": wired.other.key})
        assert stranger.status_code == 404  # another tenant learns nothing, not even that it exists
        assert stranger.json()["error"]["code"] == "image_not_found"

    # Sealed at rest, in the organization's region: no file or row holds the image or the prompt.
    region = wired.platform.runtime.region_of(wired.tenant.org_id)
    root = Path(region.settings.blobs_url)
    assert any(root.rglob("*")), "the image is kept in the region's blob store"
    png = prompt_png(prompt)
    assert not [p for p in root.rglob("*") if p.is_file() and png[8:40] in p.read_bytes()]
    assert not files_containing(root, prompt)
    assert prompt not in database_text(wired.platform.runtime)


def test_a_link_expires_and_its_image_is_destroyed(wired: Wired) -> None:
    result = wired.openai().images.generate(model="painter", prompt="a short-lived sketch")
    assert result.data is not None and result.data[0].url
    url = result.data[0].url
    image_id = url.rsplit("/", 1)[1]
    runtime = wired.platform.runtime
    org = wired.tenant.org_id
    kept = dict(rows(runtime, org, "SELECT id, object_id FROM gateway_images WHERE org_id = :org"))
    object_id = kept[image_id]
    clock = runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(seconds=3601))
    try:
        with httpx.Client(timeout=10) as http:
            gone = http.get(url, headers={"api-key": wired.tenant.key})
        assert gone.status_code == 404
    finally:
        clock.advance(timedelta(seconds=-3601))
    assert image_id not in {
        r[0] for r in rows(runtime, org, "SELECT id FROM gateway_images WHERE org_id = :org")
    }
    assert object_id not in {
        r[0] for r in rows(runtime, org, "SELECT id FROM stored_objects WHERE org_id = :org")
    }
    # The others go with the scheduled purge, once expired.
    assert rows(runtime, org, "SELECT id FROM gateway_images WHERE org_id = :org")
    clock.advance(timedelta(seconds=3601))
    try:
        assert purge_expired(runtime)["images"] >= 1
    finally:
        clock.advance(timedelta(seconds=-3601))
    assert rows(runtime, org, "SELECT id FROM gateway_images WHERE org_id = :org") == []


def test_a_harmful_prompt_is_refused_in_azures_shape_before_the_upstream(wired: Wired) -> None:
    wired.upstream.reset()
    with pytest.raises(openai.BadRequestError) as caught:
        wired.azure().images.generate(model="gpt-4o", prompt=HARMFUL)
    body: Any = caught.value.body
    assert body["code"] == "content_filter" and body["param"] == "prompt"
    assert body["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert body["innererror"]["content_filter_result"]["self_harm"]["filtered"] is True
    assert wired.upstream.requests == []


@pytest.mark.parametrize("client", ["azure", "openai"])
def test_the_upstreams_own_refusal_is_passed_on_in_the_same_shape(wired: Wired, client: str) -> None:
    model = "gpt-4o" if client == "azure" else "painter"
    with pytest.raises(openai.BadRequestError) as caught:
        getattr(wired, client)().images.generate(model=model, prompt=f"a {UPSTREAM_REFUSES} scene")
    body: Any = caught.value.body
    assert body["code"] == "content_filter"
    assert body["message"].startswith("The upstream's safety system refused the prompt")
    assert body["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    result = body["innererror"]["content_filter_result"]
    if client == "azure":
        assert result["violence"] == {"filtered": True, "severity": "high"}
    else:
        assert result == {}  # OpenAI gives no per-category results
    # Monitoring records the refusal, with the upstream's severity, as it records the gateway's own.
    runtime = wired.platform.runtime
    flush(runtime)
    recorded = rows(
        runtime,
        wired.tenant.org_id,
        "SELECT verdicts, severity FROM monitoring_records WHERE org_id = :org AND operation = 'image'",
    )
    upstream = [(v if isinstance(v, dict) else json.loads(v), severity) for v, severity in recorded]
    refusals = [(v, severity) for v, severity in upstream if v.get("upstream") == result]
    assert refusals and all(v["filtered"] is True for v, _ in refusals)
    if client == "azure":
        assert {severity for _, severity in refusals} == {"high"}


def test_the_builtin_model_answers_a_clear_400(wired: Wired) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        wired.openai().images.generate(model="extractive", prompt="a cat")
    body: Any = caught.value.body
    assert body["code"] == "unsupported_operation" and body["param"] == "model"
    assert "built-in model has no image model" in body["message"]


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"prompt": "a cat", "n": 11}, "n", "at most 10 images"),
        ({"prompt": "a cat", "n": 0}, "n", "greater than or equal to 1"),
        ({"prompt": "a cat", "size": "999x999"}, "size", "'999x999' is not a supported size"),
        ({"prompt": "a cat", "quality": "ultra"}, "quality", "'ultra' is not a supported quality"),
        ({"prompt": "a cat", "response_format": "png"}, "response_format", "'url' or 'b64_json'"),
        ({"prompt": "a cat", "style": "gothic"}, "style", "'vivid' or 'natural'"),
        ({"n": 1}, "prompt", "Missing required parameter"),
        ({"prompt": ""}, "prompt", "at least 1 character"),
    ],
)
def test_bad_input_gets_a_precise_openai_error(
    wired: Wired, body: dict[str, Any], param: str, words: str
) -> None:
    wired.upstream.reset()
    with httpx.Client(base_url=wired.platform.base_url, timeout=10) as http:
        answer = http.post(
            "/v1/images/generations",
            json={"model": "painter", **body},
            headers={"Authorization": f"Bearer {wired.tenant.key}"},
        )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert words in error["message"], error["message"]
    assert wired.upstream.requests == []


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault("slow", delay=1.5), 504, "upstream_timeout"),
        (Fault("bad_json"), 502, "upstream_bad_response"),
        (
            Fault.http(200, {"created": 1, "data": [{"b64_json": "aGVsbG8gd29ybGQ="}]}),
            502,
            "upstream_bad_response",
        ),
        (
            Fault.http(200, {"created": 1, "data": [{"url": "https://x.invalid/a.png"}]}),
            502,
            "upstream_bad_response",
        ),
        (Fault.http(200, {"created": 1, "data": []}), 502, "upstream_bad_response"),
    ],
)
def test_upstream_failures_are_precise_errors(wired: Wired, fault: Fault, status: int, code: str) -> None:
    wired.upstream.reset()
    wired.upstream.fail(fault)
    with pytest.raises(openai.APIStatusError) as caught:
        wired.openai().images.generate(model="impatient", prompt="a cat", response_format="b64_json")
    assert caught.value.status_code == status
    body: Any = caught.value.body
    assert body["code"] == code


def test_monitoring_seals_the_prompt_and_a_copy_of_the_image(wired: Wired) -> None:
    prompt = f"a quiet harbour {uuid.uuid4().hex[:6]}"
    wired.openai().images.generate(model="painter", prompt=prompt, response_format="b64_json")
    runtime = wired.platform.runtime
    flush(runtime)
    with runtime.region_session(wired.tenant.org_id) as db:
        records = [
            r
            for r in monitoring.list_records(
                db, org_id=wired.tenant.org_id, resource_id=wired.tenant.resource_id
            )
            if r.operation == "image" and r.prompt_chars == len(prompt)
        ]
        assert len(records) == 1
        record: MonitoringRecord = records[0]
        assert record.sealed_content is not None and prompt.encode() not in record.sealed_content
        content = monitoring.decrypt(runtime, record)
    assert content["prompt"] == [prompt]
    assert (
        content["completion"][0] == "data:image/png;base64," + base64.b64encode(prompt_png(prompt)).decode()
    )
    assert prompt not in database_text(runtime)


def test_nothing_is_stored_for_an_organization_that_opted_out(wired: Wired) -> None:
    runtime = wired.platform.runtime
    org = wired.other.org_id
    with runtime.region_session(org) as db:
        asked = monitoring.request_opt_out(
            runtime, db, org_id=org, actor="test", reason="we keep nothing at all"
        )
        monitoring.decide_opt_out(
            runtime, db, org_id=org, opt_out_id=asked.id, approve=True, actor="operator"
        )
    prompt = f"a private garden {uuid.uuid4().hex[:6]}"
    result = wired.openai(wired.other.key).images.generate(
        model="painter", prompt=prompt, response_format="b64_json"
    )
    assert result.data is not None and result.data[0].b64_json
    flush(runtime)
    stored = rows(
        runtime,
        org,
        "SELECT sealed_content, content_key_id, prompt_chars FROM monitoring_records "
        "WHERE org_id = :org AND operation = 'image'",
    )
    assert stored and all(s[0] is None and s[1] is None for s in stored)
    assert len(prompt) in {s[2] for s in stored}
    assert prompt not in database_text(runtime)
    data_dir = Path(runtime.settings.data_dir)
    assert not files_containing(data_dir, prompt)


def test_by_default_monitoring_seals_only_the_images_digest() -> None:
    picture = prompt_png("a digest")
    assert GatewaySettings().monitored_images == "digest"
    texts = image_texts([(picture, "image/png")], revised_prompts=["A digest"], kept="digest")
    assert texts == [
        f"image/png, {len(picture)} bytes, sha256:{hashlib.sha256(picture).hexdigest()}",
        "revised prompt: A digest",
    ]
