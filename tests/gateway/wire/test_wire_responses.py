"""Responses, chunks, SSE framing, error bodies and base64 vectors."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

import numpy as np
import pytest

from tests.support.sse import sse_events
from tutela.errors import TutelaError
from tutela.gateway.wire import (
    DONE,
    ChatChunk,
    ChatResponse,
    EmbeddingResponse,
    chat_chunk,
    chunk_from_response,
    collect_chat,
    collect_completion,
    error_for_status,
    sse_stream,
    usage_chunk,
    with_encoding,
)
from tutela.gateway.wire.completions import CompletionResponse
from tutela.gateway.wire.embeddings import decode_base64, encode_base64
from tutela.gateway.wire.exceptions import (
    AuthenticationError,
    GatewayError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    UpstreamStreamError,
)
from tutela.gateway.wire.sse import MAX_WRITE_BYTES, ServerSentEvent, SSEDecoder, iter_sse
from tutela.gateway.wire.usage import Usage

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _aiter(items: list[ChatChunk]) -> AsyncIterator[ChatChunk]:
    for item in items:
        yield item


def test_chunks_keep_finish_reason_null_and_drop_other_nulls() -> None:
    chunk = chat_chunk(id="c", model="m", created=1, content="hi")
    assert json.loads(chunk.to_json()) == {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }


def test_unknown_upstream_fields_survive() -> None:
    raw = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "a", "reasoning_content": "r"},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 1,
            "completion_tokens": 1,
            "total_tokens": 2,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }
    wire = ChatResponse.model_validate(raw).to_wire()
    assert wire["service_tier"] == "default"
    assert wire["choices"][0]["message"]["reasoning_content"] == "r"
    assert wire["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}
    assert wire["choices"][0]["logprobs"] is None


async def test_collect_chat_merges_content_tool_calls_extras_and_usage() -> None:
    chunks = [
        ChatChunk.model_validate(c)
        for c in [
            {
                "id": "c",
                "created": 5,
                "model": "m",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
            },
            {
                "id": "c",
                "created": 5,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "Hel", "reasoning_content": "th"}}],
            },
            {
                "id": "c",
                "created": 5,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "lo", "reasoning_content": "ink"}}],
            },
            {
                "id": "c",
                "created": 5,
                "model": "m",
                "choices": [
                    {
                        "index": 1,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "t1",
                                    "type": "function",
                                    "function": {"name": "f", "arguments": '{"a"'},
                                }
                            ]
                        },
                    }
                ],
            },
            {
                "id": "c",
                "created": 5,
                "model": "m",
                "choices": [
                    {"index": 1, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}}
                ],
            },
            {
                "id": "c",
                "created": 5,
                "model": "m",
                "choices": [
                    {"index": 0, "delta": {}, "finish_reason": "stop"},
                    {"index": 1, "delta": {}, "finish_reason": "tool_calls"},
                ],
            },
            {
                "id": "c",
                "created": 5,
                "model": "m",
                "choices": [],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
            },
        ]
    ]
    response = await collect_chat(_aiter(chunks))

    first, second = response.choices
    assert (first.message.content, first.finish_reason) == ("Hello", "stop")
    assert first.message.model_extra == {"reasoning_content": "think"}
    assert second.message.content is None
    assert second.finish_reason == "tool_calls"
    assert second.message.tool_calls is not None
    assert (second.message.tool_calls[0].id, second.message.tool_calls[0].function.arguments) == (
        "t1",
        '{"a": 1}',
    )
    assert response.usage == Usage(prompt_tokens=3, completion_tokens=4, total_tokens=7)
    assert (response.id, response.created, response.object) == ("c", 5, "chat.completion")


async def test_chunk_from_response_round_trips_through_collect() -> None:
    original = ChatResponse.model_validate(
        {
            "id": "r",
            "created": 9,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "hi",
                        "tool_calls": [
                            {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                        ],
                    },
                    "finish_reason": "tool_calls",
                    "logprobs": {"content": [{"token": "hi", "logprob": -0.1}]},
                },
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )
    rebuilt = await collect_chat(_aiter([chunk_from_response(original)]))
    assert rebuilt.to_wire() == original.to_wire()


async def test_collect_completion() -> None:
    async def chunks() -> AsyncIterator[CompletionResponse]:
        for text, finish in [("a", None), ("b", None), ("", "length")]:
            yield CompletionResponse.model_validate(
                {"id": "x", "model": "m", "choices": [{"index": 0, "text": text, "finish_reason": finish}]}
            )

    response = await collect_completion(chunks())
    assert (response.choices[0].text, response.choices[0].finish_reason) == ("ab", "length")
    assert response.to_wire()["object"] == "text_completion"


async def test_sse_stream_frames_chunks_and_ends_with_done() -> None:
    chunks = [
        chat_chunk(id="c", model="m", created=1, content="x"),
        usage_chunk(id="c", model="m", created=1, usage=Usage()),
    ]
    events = sse_events([e async for e in sse_stream(_aiter(chunks))])
    assert events[-1] == DONE == b"data: [DONE]\n\n"
    assert len(events) == 3
    assert all(e.startswith(b"data: {") and e.endswith(b"}\n\n") for e in events[:-1])


async def test_chunks_handed_over_together_share_one_write_and_none_waits_for_the_next() -> None:
    arrived = asyncio.Event()

    async def released() -> AsyncIterator[ChatChunk]:
        yield chat_chunk(id="c", model="m", content="first")  # the first byte goes at once...
        await asyncio.sleep(0.01)
        for word in ("a screened", "window", "released at once"):  # ...a window's chunks together
            yield chat_chunk(id="c", model="m", content=word)
        await arrived.wait()
        yield chat_chunk(id="c", model="m", content="", finish_reason="stop")
        yield usage_chunk(id="c", model="m", usage=Usage())

    writes: list[bytes] = []
    async for write in sse_stream(released()):
        writes.append(write)
        if len(writes) == 2:
            arrived.set()
    assert [len(sse_events([w])) for w in writes] == [1, 3, 3]  # the last: finish, usage and [DONE]
    assert b"first" in writes[0] and b"released at once" in writes[1] and writes[2].endswith(DONE)


async def test_a_producer_that_never_waits_still_streams_in_bounded_writes() -> None:
    chunks = [chat_chunk(id="c", model="m", content="x" * 1000) for _ in range(200)]
    writes = [w async for w in sse_stream(_aiter(chunks))]
    assert len(writes) > 1 and all(len(w) < 2 * MAX_WRITE_BYTES for w in writes)
    assert len(sse_events(writes)) == 201


async def test_a_client_leaving_between_writes_unwinds_the_pipeline() -> None:
    unwound = asyncio.Event()

    async def upstream() -> AsyncIterator[ChatChunk]:
        try:
            yield chat_chunk(id="c", model="m", content="x")
            await asyncio.sleep(30)  # the next chunk is on its way when the client leaves
            yield chat_chunk(id="c", model="m", content="never")
        finally:
            unwound.set()

    async def pipeline() -> AsyncIterator[ChatChunk]:  # a generator in between, as the gateway has
        async for chunk in upstream():
            yield chunk

    stream = sse_stream(pipeline())
    assert b'"x"' in await anext(stream)
    await asyncio.wait_for(stream.aclose(), timeout=5)
    assert unwound.is_set()


@pytest.mark.parametrize(
    ("error", "code"),
    [(UpstreamStreamError("cut"), "upstream_stream_interrupted"), (KeyError("bug"), "internal_error")],
)
async def test_sse_stream_ends_failed_streams_with_one_error_event(error: Exception, code: str) -> None:
    async def failing() -> AsyncIterator[ChatChunk]:
        yield chat_chunk(id="c", model="m", content="x")
        raise error

    writes = [e async for e in sse_stream(failing())]
    assert len(writes) == 1  # the chunk before the failure and the error event go out together
    events = sse_events(writes)
    assert len(events) == 2
    body = json.loads(events[1].removeprefix(b"data: "))
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["code"] == code
    assert "bug" not in body["error"]["message"]  # internals stay in the log


async def test_sse_decoder_follows_the_event_stream_rules() -> None:
    async def lines() -> AsyncIterator[str]:
        for line in [
            ": comment",
            "event: delta",
            'data: {"a":',
            "data: 1}",
            "id: 7",
            "",
            "",
            "data:no-space",
            "",
        ]:
            yield line

    events = [e async for e in iter_sse(lines())]
    assert events == [
        ServerSentEvent(data='{"a":\n1}', event="delta", id="7"),
        ServerSentEvent(data="no-space", id="7"),
    ]
    decoder = SSEDecoder()
    assert decoder.feed("data: tail") is None
    assert decoder.flush() == ServerSentEvent(data="tail")


@pytest.mark.parametrize(
    ("status", "cls", "kind"),
    [
        (400, "InvalidRequestError", "invalid_request_error"),
        (401, "AuthenticationError", "authentication_error"),
        (403, "PermissionDeniedError", "permission_error"),
        (404, "NotFoundError", "not_found_error"),
        (413, "PayloadTooLargeError", "invalid_request_error"),
        (429, "RateLimitError", "rate_limit_error"),
        (500, "InternalServerError", "server_error"),
        (502, "UpstreamError", "server_error"),
        (503, "UpstreamUnavailableError", "service_unavailable_error"),
        (504, "UpstreamTimeoutError", "server_error"),
        (418, "InternalServerError", "server_error"),
    ],
)
def test_error_builders_by_status(status: int, cls: str, kind: str) -> None:
    error = error_for_status(status, "msg", param="p")
    assert type(error).__name__ == cls
    assert error.status_code == (500 if status == 418 else status)
    assert error.to_body() == {"error": {"message": "msg", "type": kind, "param": "p", "code": error.code}}
    assert isinstance(error.code, str)
    assert error.code
    assert isinstance(error, TutelaError)


def test_error_details() -> None:
    assert AuthenticationError("no").code == "invalid_api_key"
    assert NotFoundError("no model").code == "model_not_found"
    assert RateLimitError("slow down", retry_after=2.4).headers == {"Retry-After": "2"}
    assert InternalServerError("x", code="custom").code == "custom"
    assert isinstance(NotFoundError("x"), GatewayError)


def test_base64_vectors_match_openai_encoding() -> None:
    vector = [0.5, -1.25, 3.0]
    encoded = encode_base64(vector)
    assert np.frombuffer(base64.b64decode(encoded), dtype="<f4").tolist() == vector
    assert decode_base64(encoded) == vector
    response = EmbeddingResponse.model_validate({"data": [{"index": 0, "embedding": vector}], "model": "m"})
    as_b64 = with_encoding(response, "base64")
    assert as_b64.data[0].embedding == encoded
    assert with_encoding(as_b64, "float").data[0].embedding == vector
    assert with_encoding(response, None).to_wire()["data"][0] == {
        "object": "embedding",
        "index": 0,
        "embedding": vector,
    }
