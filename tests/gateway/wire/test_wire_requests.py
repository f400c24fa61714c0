"""Request parsing: lenient on unknown fields, strict on types, precise 400s naming ``param``."""

from __future__ import annotations

from typing import Any

import pytest

from tutela.gateway.wire import (
    WireLimits,
    parse_chat_request,
    parse_completion_request,
    parse_embedding_request,
)
from tutela.gateway.wire.exceptions import InvalidRequestError
from tutela.gateway.wire.messages import AssistantMessage, UserMessage
from tutela.gateway.wire.response_format import JsonSchemaFormat, check_json_schema

USER = {"role": "user", "content": "hi"}


def body(**fields: Any) -> dict[str, Any]:
    return {"model": "tutor", "messages": [USER], **fields}


def test_full_request_round_trips_to_upstream() -> None:
    raw = body(
        messages=[
            {"role": "developer", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "see "},
                    {"type": "image_url", "image_url": {"url": "data:x"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ],
        n=2,
        stop=["\n", "END"],
        max_completion_tokens=100,
        temperature=0,
        top_p=1,
        seed=3,
        user="u-1",
        stream=True,
        stream_options={"include_usage": True},
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "quiz", "strict": True, "schema": {"type": "object"}},
        },
        brand_new_param={"nested": [1]},
    )
    request = parse_chat_request(raw)

    assert request.to_upstream() == raw  # exactly what was sent, unknown fields included
    assert request.choice_count == 2
    assert request.include_usage
    assert request.token_limit == 100
    assert request.stop_sequences == ["\n", "END"]
    assert isinstance(request.messages[1], UserMessage)
    assert request.messages[1].text() == "see "
    assert isinstance(request.messages[2], AssistantMessage)
    assert request.messages[2].text() == ""
    assert isinstance(request.response_format, JsonSchemaFormat)
    assert request.response_format.json_schema.schema_ == {"type": "object"}


def test_defaults_are_not_invented() -> None:
    request = parse_chat_request(body())
    assert request.to_upstream() == body()
    assert request.choice_count == 1
    assert not request.include_usage
    assert request.stop_sequences == []


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        ({"model": None}, "model", "valid string"),
        ({"messages": []}, "messages", "at least 1"),
        ({"messages": [{"role": "usr", "content": "x"}]}, "messages[0].role", "Supported values"),
        ({"messages": [{"content": "x"}]}, "messages[0].role", "Missing required parameter"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id", "Missing required"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 1}}]}]},
            "messages[0].content[0].image_url.url",
            "valid string",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "messages[0].content[0].type",
            "'video'",
        ),
        ({"n": "2"}, "n", "valid integer"),
        ({"n": True}, "n", "valid integer"),
        ({"n": 0}, "n", "greater than or equal to 1"),
        ({"temperature": 2.5}, "temperature", "less than or equal to 2"),
        ({"top_p": -0.1}, "top_p", "greater than or equal to 0"),
        ({"stop": 3}, "stop", "valid"),
        ({"max_tokens": 1.5}, "max_tokens", "valid integer"),
        ({"seed": "7"}, "seed", "valid integer"),
        ({"stream": "yes"}, "stream", "valid boolean"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "only allowed when 'stream'"),
        ({"response_format": {"type": "xml"}}, "response_format.type", "'xml'"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "has space", "schema": {}}}},
            "response_format.json_schema.name",
            "pattern",
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "q", "schema": {"type": "objekt"}},
                }
            },
            "response_format.json_schema.schema",
            "not a valid JSON Schema at 'type'",
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "q", "schema": {"properties": {"a": {"minLength": -1}}}},
                }
            },
            "response_format.json_schema.schema",
            "properties/a/minLength",
        ),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "q", "schema": []}}},
            "response_format.json_schema.schema",
            "valid dictionary",
        ),
        ({"tool_choice": "sometimes"}, "tool_choice", "valid"),
    ],
)
def test_invalid_requests_name_the_param(fields: dict[str, Any], param: str, message: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_chat_request(body(**fields))
    assert caught.value.param == param
    assert message in caught.value.message
    assert caught.value.status_code == 400
    assert caught.value.to_body()["error"]["param"] == param


def test_draft_07_schemas_are_checked_as_draft_07() -> None:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "definitions": {}}
    fmt = {"type": "json_schema", "json_schema": {"name": "q", "schema": schema}}
    assert parse_chat_request(body(response_format=fmt)).response_format is not None


def test_n_limit_is_configurable() -> None:
    parse_chat_request(body(n=10))
    with pytest.raises(InvalidRequestError) as caught:
        parse_chat_request(body(n=11))
    assert caught.value.param == "n"
    parse_chat_request(body(n=50), limits=WireLimits(max_n=64))
    with pytest.raises(InvalidRequestError):
        parse_chat_request(body(n=3), limits=WireLimits(max_n=2))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "could not parse the JSON body"),
        (b"[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "could not parse"),
    ],
)
def test_unparseable_bodies(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message) as caught:
        parse_chat_request(raw)
    assert caught.value.param is None


def test_bytes_bodies_parse_like_dicts() -> None:
    assert parse_chat_request(b'{"model": "m", "messages": [{"role": "user", "content": "x"}]}').model == "m"


def test_completions_requests() -> None:
    assert parse_completion_request({"model": "m", "prompt": "x"}).prompts == ["x"]
    assert parse_completion_request({"model": "m", "prompt": [1, 2]}).prompts == [[1, 2]]
    assert parse_completion_request({"model": "m", "prompt": [[1], [2]]}).prompts == [[1], [2]]
    with pytest.raises(InvalidRequestError) as caught:
        parse_completion_request({"model": "m", "prompt": "x", "n": 3, "best_of": 2})
    assert caught.value.param == "best_of"
    with pytest.raises(InvalidRequestError) as caught:
        parse_completion_request({"model": "m", "prompt": [1, "a"]})
    assert caught.value.param is not None
    assert caught.value.param.startswith("prompt")


def test_embedding_requests() -> None:
    assert parse_embedding_request({"model": "m", "input": "x"}).inputs == ["x"]
    assert parse_embedding_request({"model": "m", "input": [[1, 2], [3]]}).inputs == [[1, 2], [3]]
    request = parse_embedding_request(
        {"model": "m", "input": ["a"], "encoding_format": "base64", "dimensions": 256}
    )
    assert request.encoding_format == "base64"
    assert request.dimensions == 256
    cases: list[tuple[dict[str, Any], str]] = [
        ({"input": ""}, "input"),
        ({"input": ["a", ""]}, "input"),
        ({"input": "a", "encoding_format": "b64"}, "encoding_format"),
        ({"input": "a", "dimensions": 0}, "dimensions"),
    ]
    for bad, param in cases:
        with pytest.raises(InvalidRequestError) as caught:
            parse_embedding_request({"model": "m", **bad})
        assert caught.value.param == param
    with pytest.raises(InvalidRequestError, match="at most 2 items"):
        parse_embedding_request(
            {"model": "m", "input": ["a", "b", "c"]}, limits=WireLimits(max_embedding_inputs=2)
        )


def test_a_schema_found_valid_is_remembered_and_a_defective_one_still_refused() -> None:
    good = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    check_json_schema(good)
    check_json_schema({"required": ["a"], "properties": {"a": {"type": "string"}}, "type": "object"})
    with pytest.raises(ValueError, match="not a valid JSON Schema"):
        check_json_schema({"type": "object", "properties": {"a": {"type": "strang"}}, "required": ["a"]})
