"""OpenTelemetry traces: exported over OTLP/HTTP to a loopback collector that decodes the real protobuf;
spans for the request, the gateway's stages and jobs, with ids and timings and never the prompt or answer.
Off by default, where neither the OpenTelemetry trace SDK nor its exporter is even imported."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.gateway.fake_upstream import FakeUpstream
from tests.support.platform import running_platform
from tutela.gateway.monitoring.jobs import purge_expired

SECRET = "Quillon-marmoset-ephemera"


@dataclass
class Collector:
    """An OTLP/HTTP trace collector on loopback: keeps each export's raw bytes and its decoded spans."""

    url: str
    raw: list[bytes] = field(default_factory=list)
    spans: list[Any] = field(default_factory=list)

    def named(self, name: str) -> list[Any]:
        return [s for s in self.spans if s.name == name]


@pytest.fixture
def collector() -> Iterator[Collector]:
    found = Collector(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            assert self.path == "/v1/traces"
            assert self.headers["content-type"] == "application/x-protobuf"
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            found.raw.append(body)
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    found.spans.extend(scope_spans.spans)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def _attributes(span: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in span.attributes:
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def test_spans_reach_the_collector_with_ids_and_no_content(collector: Collector, tmp_path: Path) -> None:
    with (
        FakeUpstream.running() as upstream,
        running_platform("sqlite", tmp_path, server={"otlp_traces_endpoint": collector.url}) as platform,
    ):
        wired = platform.gateway_org(f"Traces {uuid.uuid4().hex[:6]}", upstream)
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=wired.key, max_retries=0)
        said = [{"role": "user", "content": f"Please repeat {SECRET} to me"}]
        answer = client.chat.completions.create(model="tutor", messages=said)  # type: ignore[arg-type]
        assert SECRET in (answer.choices[0].message.content or "")  # the echo carries it back
        streamed = client.chat.completions.create(model="tutor", messages=said, stream=True)  # type: ignore[arg-type]
        assert SECRET in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        platform.runtime.jobs.enqueue(purge_expired).get()
        assert platform.runtime.tracing.flush()

    names = {s.name for s in collector.spans}
    assert {
        "http.request",
        "gateway.access",
        "gateway.filter",
        "gateway.upstream",
        "gateway.monitoring",
    } <= names
    assert "job" in names

    requests = [
        s for s in collector.named("http.request") if _attributes(s)["http.route"] == "/v1/chat/completions"
    ]
    assert len(requests) == 2
    first = _attributes(requests[0])
    assert first["http.request.method"] == "POST"
    assert first["http.response.status_code"] == 200
    assert first["tutela.request_id"].startswith("req_")

    # The stages are children of their request, in the same trace.
    by_id = {s.span_id: s for s in collector.spans}
    for upstream_span in collector.named("gateway.upstream"):
        parent = by_id[upstream_span.parent_span_id]
        assert parent.name == "http.request"
        assert upstream_span.trace_id == parent.trace_id
        attrs = _attributes(upstream_span)
        assert attrs["tutela.target"] == "tutor"
        assert attrs["tutela.provider"] == "openai"
        assert upstream_span.end_time_unix_nano > upstream_span.start_time_unix_nano
    assert {_attributes(s)["tutela.streamed"] for s in collector.named("gateway.upstream")} == {True, False}
    access = _attributes(collector.named("gateway.access")[0])
    assert access["tutela.org_id"] == wired.org_id
    assert access["tutela.key_id"] == wired.key_id
    directions = {_attributes(s)["tutela.filter.direction"] for s in collector.named("gateway.filter")}
    assert directions == {"prompt", "completion"}
    monitoring = [_attributes(s) for s in collector.named("gateway.monitoring")]
    assert any(m.get("tutela.prompt_tokens", 0) > 0 for m in monitoring)  # the stream asked for no usage
    assert {m["tutela.operation"] for m in monitoring} == {"chat"}
    assert _attributes(collector.named("job")[0])["tutela.job"] == "gateway.monitoring.jobs.purge_expired"

    # Neither the prompt nor the answer (which echoes it) is anywhere in what was exported.
    raw = b"".join(collector.raw)
    assert SECRET.encode() not in raw
    assert b"Please repeat" not in raw and b"echo:" not in raw


def test_an_error_answer_is_traced_with_its_status_and_no_content(
    collector: Collector, tmp_path: Path
) -> None:
    with (
        FakeUpstream.running() as upstream,
        running_platform("sqlite", tmp_path, server={"otlp_traces_endpoint": collector.url}) as platform,
    ):
        wired = platform.gateway_org(f"Traces {uuid.uuid4().hex[:6]}", upstream)
        client = openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=wired.key, max_retries=0)
        with pytest.raises(openai.NotFoundError) as refused:
            client.chat.completions.create(
                model="no-such-model", messages=[{"role": "user", "content": SECRET}]
            )
        assert refused.value.status_code == 404
        assert platform.runtime.tracing.flush()
    request = next(
        s for s in collector.named("http.request") if _attributes(s).get("http.response.status_code") == 404
    )
    assert _attributes(request)["http.route"] == "/v1/chat/completions"
    assert SECRET.encode() not in b"".join(collector.raw)


def test_tracing_off_imports_no_opentelemetry_sdk() -> None:
    code = (
        "import sys\n"
        "import tutela.app, tutela.gateway.pipeline, tutela.storage.jobs\n"
        "from tutela.config import ServerSettings\n"
        "from tutela.tracing import open_tracing\n"
        "tracing = open_tracing(ServerSettings().otlp_traces_endpoint)\n"
        "with tracing.span('gateway.upstream', x=1) as span:\n"
        "    span.set('tutela.target', 'tutor')\n"
        # (redis-py loads opentelemetry.sdk.metrics for its own optional metrics when it is installed.)
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk.trace') or 'otlp' in m)\n"
        "assert not tracing.enabled and not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_collector_address_that_is_not_a_url_is_refused_in_words() -> None:
    from pydantic import ValidationError

    from tutela.config import ServerSettings

    with pytest.raises(ValidationError, match="collector's http:// or https:// URL"):
        ServerSettings(otlp_traces_endpoint="127.0.0.1:4318")
