"""The ``openai`` provider against a real fake upstream on loopback: relaying, retries, error mapping."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.fake_upstream import FakeUpstream, Fault
from tests.support.sse import sse_events
from tutela.gateway.providers.base import DeploymentConfig, start_stream
from tutela.gateway.providers.openai_compat import OpenAICompatProvider
from tutela.gateway.providers.upstream import UpstreamClient
from tutela.gateway.wire import (
    ChatChunk,
    ChatRequest,
    collect_chat,
    parse_chat_request,
    parse_completion_request,
    parse_embedding_request,
    sse_stream,
)
from tutela.gateway.wire.embeddings import decode_base64
from tutela.gateway.wire.exceptions import (
    GatewayError,
    InvalidRequestError,
    PayloadTooLargeError,
    ProviderConfigurationError,
    RateLimitError,
    UpstreamAuthenticationError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamInvalidRequestError,
    UpstreamResponseError,
    UpstreamStreamError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream.running() as upstream:
        yield upstream


@pytest.fixture(autouse=True)
def _fresh(fake: FakeUpstream) -> None:
    fake.reset()


class Sleeps:
    """Records backoff waits instead of sleeping, so retry tests are instant and exact."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def provider(sleeps: Sleeps) -> AsyncIterator[OpenAICompatProvider]:
    async with (
        UpstreamClient(sleep=sleeps, rng=lambda: 0.5) as upstream,
        OpenAICompatProvider(upstream=upstream) as prov,
    ):
        yield prov


def deployment(fake: FakeUpstream, **options: Any) -> DeploymentConfig:
    base: dict[str, Any] = {
        "base_url": fake.base_url,
        "model": "fake-model",
        "api_key": fake.api_key,
        "read_timeout": 2.0,
        "backoff_base": 0.01,
    }
    return DeploymentConfig(name="tutor", provider="openai", options={**base, **options})


def chat(text: str = "hello there", **fields: Any) -> ChatRequest:
    return parse_chat_request({"model": "tutor", "messages": [{"role": "user", "content": text}], **fields})


async def drain(stream: AsyncIterator[ChatChunk]) -> list[ChatChunk]:
    return [chunk async for chunk in stream]


# --- relaying -------------------------------------------------------------------------------------


async def test_non_streaming_chat_relays_and_renames(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    response = await provider.chat_response(chat(temperature=0.2, seed=7), deployment=deployment(fake))

    assert response.choices[0].message.content == "echo: hello there"
    assert response.choices[0].finish_reason == "stop"
    assert response.model == "tutor"  # the client's name, not the upstream's
    assert response.usage is not None
    assert response.usage.total_tokens == 5
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {fake.api_key}"
    assert sent.json["model"] == "fake-model"
    assert sent.json["temperature"] == 0.2
    assert sent.json["seed"] == 7
    assert "n" not in sent.json  # only what the client set is forwarded


async def test_streaming_chat_arrives_chunk_by_chunk(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    request = chat(stream=True, stream_options={"include_usage": True})
    chunks = await drain(provider.chat(request, deployment=deployment(fake)))

    assert [c.choices[0].delta.content for c in chunks if c.choices] == [
        "",
        "echo: ",
        "hello ",
        "there",
        None,
    ]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert {c.id for c in chunks} == {"chatcmpl-fake"}
    assert {c.model for c in chunks} == {"tutor"}
    assert fake.requests[0].json["stream_options"] == {"include_usage": True}


async def test_streaming_without_include_usage_has_no_usage_chunk(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    chunks = await drain(provider.chat(chat(stream=True), deployment=deployment(fake)))
    assert all(c.usage is None for c in chunks)


async def test_n_choices_are_collected_separately(provider: OpenAICompatProvider, fake: FakeUpstream) -> None:
    response = await collect_chat(provider.chat(chat("hi", n=2, stream=True), deployment=deployment(fake)))
    assert [(c.index, c.message.content) for c in response.choices] == [(0, "echo: hi"), (1, "echo: hi")]


async def test_tools_pass_through_and_tool_call_fragments_merge(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    request = chat("cats", tools=tools, tool_choice="auto", stream=True, some_future_param={"x": 1})
    response = await collect_chat(provider.chat(request, deployment=deployment(fake)))

    call = response.choices[0].message.tool_calls
    assert call is not None
    assert call[0].function.name == "lookup"
    assert json.loads(call[0].function.arguments) == {"q": "cats"}
    assert response.choices[0].finish_reason == "tool_calls"
    assert fake.requests[0].json["tools"] == tools
    assert fake.requests[0].json["some_future_param"] == {"x": 1}  # unknown fields are relayed


async def test_legacy_completions_stream_and_collect(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    request = parse_completion_request({"model": "tutor", "prompt": "once upon", "stream": True})
    streamed = await provider.completion_response(request, deployment=deployment(fake))
    plain = await provider.completion_response(
        parse_completion_request({"model": "tutor", "prompt": "once upon"}), deployment=deployment(fake)
    )
    assert streamed.choices[0].text == plain.choices[0].text == "echo: once upon"
    assert streamed.model == plain.model == "tutor"
    assert fake.requests[0].path == "/v1/completions"


async def test_embeddings_ask_floats_upstream_and_encode_as_requested(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    dep = deployment(fake)
    floats = await provider.embed(
        parse_embedding_request({"model": "tutor", "input": ["a", "b"]}), deployment=dep
    )
    b64 = await provider.embed(
        parse_embedding_request(
            {"model": "tutor", "input": ["a", "b"], "encoding_format": "base64", "dimensions": 8}
        ),
        deployment=dep,
    )
    assert [len(d.embedding) for d in floats.data] == [8, 8]
    first = b64.data[0].embedding
    assert isinstance(first, str)
    assert decode_base64(first) == pytest.approx(floats.data[0].embedding, abs=1e-6)
    assert b64.model == "tutor"
    assert [r.json["encoding_format"] for r in fake.requests] == ["float", "float"]
    assert fake.requests[1].json["dimensions"] == 8


# --- retries --------------------------------------------------------------------------------------


async def test_429_then_success_is_retried(
    provider: OpenAICompatProvider, fake: FakeUpstream, sleeps: Sleeps
) -> None:
    fake.fail(Fault.rate_limited(retry_after="0"))
    response = await provider.chat_response(chat(), deployment=deployment(fake))
    assert response.choices[0].message.content == "echo: hello there"
    assert len(fake.requests) == 2
    assert sleeps.delays == [0.0]


async def test_retry_after_is_honoured(
    provider: OpenAICompatProvider, fake: FakeUpstream, sleeps: Sleeps
) -> None:
    fake.fail(Fault.rate_limited(retry_after="1.5"), Fault.http(503, None, retry_after_ms="250"))
    await provider.chat_response(chat(), deployment=deployment(fake))
    assert sleeps.delays == [1.5, 0.25]


async def test_retry_after_beyond_the_cap_goes_to_the_client(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(Fault.rate_limited(retry_after="120"))
    with pytest.raises(RateLimitError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake))
    assert caught.value.status_code == 429
    assert caught.value.headers == {"Retry-After": "120"}
    assert "org-secret123" not in caught.value.message
    assert len(fake.requests) == 1


async def test_5xx_is_retried_with_exponential_backoff(
    provider: OpenAICompatProvider, fake: FakeUpstream, sleeps: Sleeps
) -> None:
    fake.fail(Fault.http(500), Fault.http(502))
    response = await provider.chat_response(chat(), deployment=deployment(fake, backoff_base=0.4))
    assert response.choices[0].message.content == "echo: hello there"
    # Equal jitter with rng=0.5: 3/4 of 0.4 * 2**attempt.
    assert sleeps.delays == pytest.approx([0.3, 0.6])


async def test_persistent_500_becomes_502_after_max_retries(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(*[Fault.http(500)] * 4)
    with pytest.raises(UpstreamError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake, max_retries=3))
    assert type(caught.value) is UpstreamError
    assert caught.value.status_code == 502
    assert len(fake.requests) == 4


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (503, UpstreamUnavailableError, 503),
        (504, UpstreamTimeoutError, 504),
        (408, UpstreamTimeoutError, 504),
    ],
)
async def test_retryable_statuses_map_after_retries(
    provider: OpenAICompatProvider, fake: FakeUpstream, status: int, error: type[GatewayError], code: int
) -> None:
    fake.fail(*[Fault.http(status)] * 2)
    with pytest.raises(error) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake, max_retries=1))
    assert caught.value.status_code == code
    assert len(fake.requests) == 2


async def test_insufficient_quota_is_not_retried(provider: OpenAICompatProvider, fake: FakeUpstream) -> None:
    fake.fail(
        Fault.http(429, {"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}})
    )
    with pytest.raises(RateLimitError):
        await provider.chat_response(chat(), deployment=deployment(fake))
    assert len(fake.requests) == 1


async def test_connection_refused_is_retried_then_502(provider: OpenAICompatProvider, sleeps: Sleeps) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = DeploymentConfig(
        name="tutor", provider="openai", options={"base_url": f"http://127.0.0.1:{port}/v1", "model": "m"}
    )
    with pytest.raises(UpstreamConnectionError) as caught:
        await provider.chat_response(chat(), deployment=dead)
    assert caught.value.status_code == 502
    assert len(sleeps.delays) == 2


# --- error translation ----------------------------------------------------------------------------


async def test_upstream_400_keeps_its_message_and_param(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    body = {
        "error": {
            "message": "max_tokens is too large",
            "type": "invalid_request_error",
            "param": "max_tokens",
        }
    }
    fake.fail(Fault.http(400, body))
    with pytest.raises(UpstreamInvalidRequestError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake))
    assert isinstance(caught.value, InvalidRequestError)
    assert caught.value.status_code == 400
    assert caught.value.message == "max_tokens is too large"
    assert caught.value.param == "max_tokens"
    assert len(fake.requests) == 1


async def test_upstream_messages_never_carry_the_key(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(Fault.http(400, '{"error": {"message": "bad key {key} used"}}'))
    with pytest.raises(UpstreamInvalidRequestError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake))
    assert fake.api_key not in caught.value.message
    assert "[redacted]" in caught.value.message


async def test_upstream_401_becomes_502_without_leaking(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    wrong = "sk-wrong-key-9876543210"
    with pytest.raises(UpstreamAuthenticationError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake, api_key=wrong))
    assert caught.value.status_code == 502
    assert caught.value.message == "The upstream rejected the gateway's credentials."
    assert wrong not in json.dumps(caught.value.to_body())
    assert len(fake.requests) == 0  # the fake refuses before recording: no retry was attempted either


async def test_upstream_413_and_unknown_statuses(provider: OpenAICompatProvider, fake: FakeUpstream) -> None:
    fake.fail(Fault.http(413, {"error": {"message": "too big"}}), Fault.http(409))
    with pytest.raises(PayloadTooLargeError):
        await provider.chat_response(chat(), deployment=deployment(fake))
    with pytest.raises(UpstreamError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake))
    assert caught.value.status_code == 502


async def test_slow_upstream_times_out_as_504_without_retry(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(Fault("slow", delay=1.0))
    with pytest.raises(UpstreamTimeoutError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake, read_timeout=0.2))
    assert caught.value.status_code == 504
    assert len(fake.requests) == 1


@pytest.mark.parametrize("kind", ["bad_json", "bad_shape"])
async def test_malformed_upstream_json_is_502(
    provider: OpenAICompatProvider, fake: FakeUpstream, kind: str
) -> None:
    fake.fail(Fault(kind))  # type: ignore[arg-type]
    with pytest.raises(UpstreamResponseError) as caught:
        await provider.chat_response(chat(), deployment=deployment(fake))
    assert caught.value.status_code == 502


async def test_missing_key_variable_is_a_configuration_error(
    provider: OpenAICompatProvider, fake: FakeUpstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAKE_UPSTREAM_KEY", fake.api_key)
    by_env = deployment(fake, api_key=None, api_key_env="FAKE_UPSTREAM_KEY")
    assert (await provider.chat_response(chat(), deployment=by_env)).choices
    key_file = tmp_path / "key"
    key_file.write_text(fake.api_key + "\n")
    by_file = deployment(fake, api_key=None, api_key_file=str(key_file))
    assert (await provider.chat_response(chat(), deployment=by_file)).choices

    monkeypatch.delenv("FAKE_UPSTREAM_KEY")
    with pytest.raises(ProviderConfigurationError) as caught:
        await provider.chat_response(chat(), deployment=by_env)
    assert caught.value.status_code == 500


def test_options_reject_typos_and_two_key_sources(fake: FakeUpstream) -> None:
    with pytest.raises(ProviderConfigurationError, match="base_ulr"):
        OpenAICompatProvider.parse_options(deployment(fake, base_ulr="x"))
    with pytest.raises(ProviderConfigurationError, match="at most one"):
        OpenAICompatProvider.parse_options(deployment(fake, api_key_env="X"))


# --- streams that fail ----------------------------------------------------------------------------


async def test_stream_dying_mid_way_ends_with_an_error_event(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(Fault("die", after=3))
    writes = [e async for e in sse_stream(provider.chat(chat(stream=True), deployment=deployment(fake)))]
    events = sse_events(writes)

    assert len(events) == 4  # three chunks, one error, no [DONE]
    error = json.loads(events[-1].removeprefix(b"data: "))
    assert error["error"]["code"] == "upstream_stream_interrupted"
    assert error["error"]["type"] == "server_error"
    assert len(fake.requests) == 1  # never retried once bytes were forwarded


async def test_stream_dying_before_the_first_event_is_retried(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(Fault("die", after=0))
    chunks = await drain(provider.chat(chat(stream=True), deployment=deployment(fake)))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "echo: hello there"
    assert len(fake.requests) == 2


async def test_stalled_stream_times_out_instead_of_hanging(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(Fault("stall", after=2, delay=1.0))
    received: list[ChatChunk] = []

    async def consume() -> None:
        async with asyncio.timeout(5):
            async for chunk in provider.chat(
                chat(stream=True), deployment=deployment(fake, read_timeout=0.2)
            ):
                received.append(chunk)

    with pytest.raises(UpstreamTimeoutError, match="mid-stream"):
        await consume()
    assert len(received) == 2


@pytest.mark.parametrize(
    ("fault", "match"),
    [
        (Fault("error_event", after=2), "processing your request"),
        (Fault("no_done", after=2), "ended before"),
        (Fault("json_for_stream"), "model is loading"),
    ],
)
async def test_broken_streams_raise_stream_errors(
    provider: OpenAICompatProvider, fake: FakeUpstream, fault: Fault, match: str
) -> None:
    fake.fail(fault)
    with pytest.raises(UpstreamStreamError, match=match):
        await drain(provider.chat(chat(stream=True), deployment=deployment(fake)))


async def test_bad_event_json_mid_stream_is_502(provider: OpenAICompatProvider, fake: FakeUpstream) -> None:
    fake.fail(Fault("bad_json", after=2))
    with pytest.raises(UpstreamResponseError):
        await drain(provider.chat(chat(stream=True), deployment=deployment(fake)))


async def test_start_stream_surfaces_errors_before_the_response_starts(
    provider: OpenAICompatProvider, fake: FakeUpstream
) -> None:
    fake.fail(Fault.http(400, {"error": {"message": "nope"}}))
    with pytest.raises(UpstreamInvalidRequestError):
        await start_stream(provider.chat(chat(stream=True), deployment=deployment(fake)))
    stream = await start_stream(provider.chat(chat(stream=True), deployment=deployment(fake)))
    assert len(await drain(stream)) == 5


async def test_abandoned_stream_releases_its_connection(fake: FakeUpstream) -> None:
    # One pooled connection: if closing a half-read stream leaked it, the next call would time out.
    async with UpstreamClient(max_connections=1) as upstream, OpenAICompatProvider(upstream=upstream) as prov:
        dep = deployment(fake, pool_timeout=1.0)
        stream = prov.chat(chat(stream=True), deployment=dep)
        await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
        response = await prov.chat_response(chat(), deployment=dep)
    assert response.choices[0].message.content == "echo: hello there"


def test_configuration_errors_never_show_an_inline_key(fake: FakeUpstream) -> None:
    with pytest.raises(ProviderConfigurationError) as caught:
        OpenAICompatProvider.parse_options(deployment(fake, api_key_env="X"))
    assert fake.api_key not in str(caught.value)
    assert caught.value.__cause__ is None
    assert "misconfigured" in caught.value.to_body()["error"]["message"]  # clients get no details
