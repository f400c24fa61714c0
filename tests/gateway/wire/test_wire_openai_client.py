"""The real ``openai`` SDK against a minimal gateway built from the wire layer and the ``openai`` provider.

Client (openai SDK) -> mini gateway on loopback -> OpenAICompatProvider -> fake upstream on loopback.
The mini gateway is only the glue the real routes will need; it proves the wire shapes are what
the SDK expects, including the mid-stream error event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.gateway.fake_upstream import FakeUpstream, Fault
from tests.support.server import serve
from tutela.gateway.providers.base import DeploymentConfig, start_stream
from tutela.gateway.providers.openai_compat import OpenAICompatProvider
from tutela.gateway.wire import (
    ModelCard,
    ModelList,
    parse_chat_request,
    parse_embedding_request,
    sse_stream,
)
from tutela.gateway.wire.exceptions import GatewayError
from tutela.gateway.wire.sse import MEDIA_TYPE


def mini_gateway(deployment: DeploymentConfig) -> FastAPI:
    provider = OpenAICompatProvider()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with provider:
            yield

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(GatewayError)
    async def _error(request: Request, exc: GatewayError) -> JSONResponse:
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=exc.headers)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = parse_chat_request(await request.body())
        if body.stream:
            stream = await start_stream(provider.chat(body, deployment=deployment))
            return StreamingResponse(sse_stream(stream), media_type=MEDIA_TYPE)
        return JSONResponse((await provider.chat_response(body, deployment=deployment)).to_wire())

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        body = parse_embedding_request(await request.body())
        return JSONResponse((await provider.embed(body, deployment=deployment)).to_wire())

    @app.get("/v1/models")
    async def models() -> Response:
        return JSONResponse(ModelList(data=[ModelCard(id=deployment.name)]).to_wire())

    return app


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream.running() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def client(fake: FakeUpstream) -> Iterator[openai.OpenAI]:
    deployment = DeploymentConfig(
        name="tutor",
        provider="openai",
        options={"base_url": fake.base_url, "model": "fake-model", "api_key": fake.api_key, "max_retries": 0},
    )
    with serve(mini_gateway(deployment)) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="gateway-key", max_retries=0, timeout=10)


@pytest.fixture(autouse=True)
def _fresh(fake: FakeUpstream) -> None:
    fake.reset()


def test_sdk_non_streaming_chat(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="tutor", messages=[{"role": "user", "content": "hello sdk"}], n=1, seed=1, max_tokens=20
    )
    assert completion.choices[0].message.content == "echo: hello sdk"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "tutor"
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0


def test_sdk_streaming_chat_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="tutor",
        messages=[{"role": "user", "content": "stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: stream please"
    assert chunks[-1].usage is not None
    assert chunks[-1].choices == []


def test_sdk_structured_output_request_is_accepted(client: openai.OpenAI, fake: FakeUpstream) -> None:
    schema = {
        "type": "object",
        "properties": {"q": {"type": "string"}},
        "required": ["q"],
        "additionalProperties": False,
    }
    client.chat.completions.create(
        model="tutor",
        messages=[{"role": "user", "content": "quiz"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "quiz", "schema": schema, "strict": True},
        },
    )
    assert fake.requests[0].json["response_format"]["json_schema"]["schema"] == schema


def test_sdk_sees_mid_stream_failure_as_api_error(client: openai.OpenAI, fake: FakeUpstream) -> None:
    fake.fail(Fault("die", after=3))
    stream = client.chat.completions.create(
        model="tutor", messages=[{"role": "user", "content": "a b c d"}], stream=True
    )
    received: list[openai.types.chat.ChatCompletionChunk] = []

    def consume() -> None:
        received.extend(stream)

    with pytest.raises(openai.APIError, match="broke mid-stream"):
        consume()
    assert len(received) == 3


def test_sdk_gets_precise_400s(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="tutor", messages=[{"role": "user", "content": "x"}], n=11)
    assert caught.value.param == "n"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="tutor",
            messages=[{"role": "user", "content": "x"}],
            response_format={"type": "json_schema", "json_schema": {"name": "q", "schema": {"type": 5}}},
        )
    assert caught.value.param == "response_format.json_schema.schema"


def test_sdk_pre_stream_upstream_errors_are_http_statuses(client: openai.OpenAI, fake: FakeUpstream) -> None:
    fake.fail(Fault.rate_limited(retry_after="300"))
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(
            model="tutor", messages=[{"role": "user", "content": "x"}], stream=True
        )
    assert caught.value.response.headers["retry-after"] == "300"
    fake.fail(Fault.http(401))
    with pytest.raises(openai.InternalServerError) as server_error:
        client.chat.completions.create(model="tutor", messages=[{"role": "user", "content": "x"}])
    assert server_error.value.status_code == 502


def test_sdk_embeddings_base64_by_default(client: openai.OpenAI) -> None:
    # The SDK asks for base64 unless told otherwise, and decodes it itself.
    by_default = client.embeddings.create(model="tutor", input=["alpha", "beta"])
    as_floats = client.embeddings.create(model="tutor", input=["alpha", "beta"], encoding_format="float")
    assert [len(d.embedding) for d in by_default.data] == [8, 8]
    assert by_default.data[1].embedding == pytest.approx(as_floats.data[1].embedding, abs=1e-6)


def test_sdk_lists_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["tutor"]
