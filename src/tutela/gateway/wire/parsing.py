"""Parsing client request bodies into wire models, with precise 400s."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from tutela.gateway.wire import json_body
from tutela.gateway.wire.chat import ChatRequest
from tutela.gateway.wire.common import RequestModel
from tutela.gateway.wire.completions import CompletionRequest
from tutela.gateway.wire.data_sources import check_shape
from tutela.gateway.wire.embeddings import EmbeddingRequest
from tutela.gateway.wire.errors import invalid_request_from_validation
from tutela.gateway.wire.exceptions import InvalidRequestError
from tutela.gateway.wire.images import ImageRequest

RequestT = TypeVar("RequestT", bound=RequestModel)


@dataclass(frozen=True, slots=True)
class WireLimits:
    """Operator-configurable request limits checked after schema validation."""

    max_n: int = 10
    max_embedding_inputs: int = 2048
    max_stop_sequences: int = 16
    max_images: int = 10


DEFAULT_LIMITS = WireLimits()


def _parse(cls: type[RequestT], body: bytes | str | Mapping[str, Any], model: str | None) -> RequestT:
    data = _object(body)
    if model is not None and "model" not in data:
        data = {**data, "model": model}  # Azure: the deployment in the path names the model
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise invalid_request_from_validation(exc) from exc


def _object(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, bytes | str):
        try:
            data = json_body.loads(body)
        except json_body.JsonRefused as exc:
            raise InvalidRequestError(
                f"We could not parse the JSON body of your request ({exc}). Send valid JSON "
                "and set the 'Content-Type: application/json' header.",
                code="invalid_json",
            ) from exc
    else:
        data = body
    if not isinstance(data, Mapping):
        raise InvalidRequestError("The request body must be a JSON object.")
    return data


def _refuse_data_sources(data: Mapping[str, Any]) -> None:
    if "data_sources" in data:
        raise InvalidRequestError(
            "'data_sources' is supported on chat completions only.", param="data_sources"
        )


def _check_n(n: int | None, limits: WireLimits) -> None:
    if n is not None and n > limits.max_n:
        raise InvalidRequestError(f"'n' must be at most {limits.max_n}; got {n}.", param="n")


def _check_stop(stop: str | list[str] | None, limits: WireLimits) -> None:
    if isinstance(stop, list) and len(stop) > limits.max_stop_sequences:
        raise InvalidRequestError(
            f"'stop' accepts at most {limits.max_stop_sequences} sequences; got {len(stop)}.", param="stop"
        )


def parse_chat_request(
    body: bytes | str | Mapping[str, Any], *, limits: WireLimits = DEFAULT_LIMITS, model: str | None = None
) -> ChatRequest:
    """Validate a chat completions body; raise ``InvalidRequestError`` naming the bad param.

    `model` is the deployment of an Azure path, used when the body names no model (Azure's REST API
    puts the deployment in the path only); the same holds for completions and embeddings."""
    data = _object(body)
    check_shape(data.get("data_sources"))
    request = _parse(ChatRequest, data, model)
    _check_n(request.n, limits)
    _check_stop(request.stop, limits)
    return request


def parse_completion_request(
    body: bytes | str | Mapping[str, Any], *, limits: WireLimits = DEFAULT_LIMITS, model: str | None = None
) -> CompletionRequest:
    """Validate a legacy completions body."""
    data = _object(body)
    _refuse_data_sources(data)
    request = _parse(CompletionRequest, data, model)
    _check_n(request.n, limits)
    if request.best_of is not None and request.best_of > limits.max_n:
        raise InvalidRequestError(f"'best_of' must be at most {limits.max_n}.", param="best_of")
    _check_stop(request.stop, limits)
    return request


def parse_embedding_request(
    body: bytes | str | Mapping[str, Any], *, limits: WireLimits = DEFAULT_LIMITS, model: str | None = None
) -> EmbeddingRequest:
    """Validate an embeddings body."""
    data = _object(body)
    _refuse_data_sources(data)
    request = _parse(EmbeddingRequest, data, model)
    count = len(request.inputs)
    if count > limits.max_embedding_inputs:
        raise InvalidRequestError(
            f"'input' accepts at most {limits.max_embedding_inputs} items; got {count}.", param="input"
        )
    return request


def parse_image_request(
    body: bytes | str | Mapping[str, Any], *, limits: WireLimits = DEFAULT_LIMITS, model: str | None = None
) -> ImageRequest:
    """Validate an image generations body; `n` is bounded by the gateway's image limit."""
    request = _parse(ImageRequest, body, model)
    if request.n is not None and request.n > limits.max_images:
        raise InvalidRequestError(
            f"'n' must be at most {limits.max_images} images; got {request.n}.", param="n"
        )
    return request
