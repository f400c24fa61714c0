"""`/metrics`: Prometheus text format, parsed by prometheus_client's own parser; behind a token; no tenant
ids and no content in it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from huey.exceptions import TaskException
from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import running_platform
from tutela.gateway.limits import service as limits
from tutela.gateway.limits.schemas import LimitValues
from tutela.runtime import Runtime
from tutela.storage.jobs import job, report_failure

TOKEN = "metrics-token-0123456789"
SECRET_WORDS = "Zanzibar-quartz-parable"


@job
def breaks(runtime: Runtime) -> None:
    """A job that raises."""
    raise ValueError(f"no good {SECRET_WORDS}")


@job
def refuses(runtime: Runtime) -> str:
    """A job that handles its own failure and says so, as the generation job does."""
    report_failure("content_filter")
    return "refused"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, httpx.Client]]:
    data_dir: Path = tmp_path_factory.mktemp("metrics")
    with (
        FakeUpstream.running() as upstream,
        running_platform("sqlite", data_dir, server={"metrics_token": TOKEN}) as platform,
    ):
        wired = platform.gateway_org(f"Metrics {uuid.uuid4().hex[:6]}", upstream)
        org_id, key = wired.org_id, wired.key
        with platform.runtime.region_session(org_id) as db:
            limits.set_limits(
                db, org_id=org_id, scope="key", subject_id=wired.key_id,
                values=LimitValues(requests_per_minute=2),
            )  # fmt: skip
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0)
        hello = [{"role": "user", "content": f"Tell me about {SECRET_WORDS}"}]
        client.chat.completions.create(model="tutor", messages=hello)  # type: ignore[arg-type]
        for chunk in client.chat.completions.create(model="tutor", messages=hello, stream=True):  # type: ignore[arg-type]
            assert chunk is not None
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="no-such-model", messages=hello)  # type: ignore[arg-type]
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="tutor", messages=hello)  # type: ignore[arg-type]
        jobs = platform.runtime.jobs
        assert jobs.enqueue(refuses).get() == "refused"
        with pytest.raises(TaskException):
            jobs.enqueue(breaks).get()
        with platform.client() as http:
            response = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
            yield response.text, org_id, http


def test_metrics_parse_and_count_what_happened(scraped: tuple[str, str, httpx.Client]) -> None:
    text, _, _ = scraped
    samples = _samples(text)
    route = "/v1/chat/completions"
    ok = samples[("tutela_http_requests_total", (("method", "POST"), ("route", route), ("status", "200")))]
    assert ok == 2
    assert (
        samples[("tutela_http_requests_total", (("method", "POST"), ("route", route), ("status", "429")))]
        == 1
    )
    assert samples[("tutela_http_request_duration_seconds_count", (("route", route),))] == 4
    assert samples[("tutela_http_request_duration_seconds_bucket", (("le", "+Inf"), ("route", route)))] == 4
    assert samples[("tutela_gateway_requests_total", (("operation", "chat"), ("streamed", "false")))] == 1
    assert samples[("tutela_gateway_requests_total", (("operation", "chat"), ("streamed", "true")))] == 1
    assert samples[("tutela_gateway_tokens_total", (("kind", "prompt"),))] > 0
    assert samples[("tutela_gateway_tokens_total", (("kind", "completion"),))] > 0
    assert samples[("tutela_gateway_rate_limited_total", (("code", "rate_limit_exceeded"),))] == 1
    assert samples[("tutela_gateway_errors_total", (("code", "model_not_found"), ("status", "404")))] == 1
    assert ("tutela_monitoring_records_queued", ()) in samples
    assert ("tutela_monitoring_records_dropped_total", ()) in samples


def test_metrics_time_jobs_and_count_their_failures_by_kind(scraped: tuple[str, str, httpx.Client]) -> None:
    samples = _samples(scraped[0])
    broke, refused = f"{breaks.__module__}.breaks", f"{refuses.__module__}.refuses"
    assert samples[("tutela_job_failures_total", (("job", broke), ("kind", "ValueError")))] == 1
    assert samples[("tutela_job_failures_total", (("job", refused), ("kind", "content_filter")))] == 1
    assert samples[("tutela_job_duration_seconds_count", (("job", broke), ("outcome", "failed")))] == 1
    bucket = (("job", broke), ("le", "+Inf"), ("outcome", "failed"))
    assert samples[("tutela_job_duration_seconds_bucket", bucket)] == 1
    assert samples[("tutela_jobs_queued", ())] == 0  # run at once (the immediate backend), none waiting
    assert ("tutela_jobs_scheduled", ()) in samples


def test_metrics_hold_no_tenant_and_no_content(scraped: tuple[str, str, httpx.Client]) -> None:
    text, org_id, _ = scraped
    assert org_id not in text
    assert SECRET_WORDS not in text and "fake-model" not in text


def test_metrics_need_the_token(scraped: tuple[str, str, httpx.Client]) -> None:
    _, _, http = scraped
    assert http.get("/metrics").status_code == 404
    assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
