"""Embeddings: request, response, and float <-> base64 vector encoding."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from tutela.gateway.wire.common import RequestModel, ResponseModel, as_input_list
from tutela.gateway.wire.usage import EmbeddingUsage

EmbeddingInput = str | list[str] | list[int] | list[list[int]]


class EmbeddingRequest(RequestModel):
    """``POST /v1/embeddings`` body."""

    model: str
    input: EmbeddingInput
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: Annotated[int, Field(ge=1)] | None = None
    user: str | None = None

    @field_validator("input")
    @classmethod
    def _not_empty(cls, value: EmbeddingInput) -> EmbeddingInput:
        if isinstance(value, str | list) and len(value) == 0:
            raise ValueError("must not be empty")
        if isinstance(value, list) and any(isinstance(v, str | list) and len(v) == 0 for v in value):
            raise ValueError("must not contain empty items")
        return value

    @property
    def inputs(self) -> list[str] | list[list[int]]:
        """The input(s) normalised to a list of strings or of token arrays."""
        return as_input_list(self.input)


class Embedding(ResponseModel):
    """One vector; a list of floats, or base64 little-endian float32 when asked."""

    object: str = "embedding"
    index: int = 0
    embedding: list[float] | str


class EmbeddingResponse(ResponseModel):
    """``list`` of embeddings."""

    object: str = "list"
    data: list[Embedding] = Field(default_factory=list)
    model: str = ""
    usage: EmbeddingUsage = Field(default_factory=EmbeddingUsage)


def encode_base64(vector: list[float]) -> str:
    """Encode a vector as OpenAI does: base64 of little-endian float32."""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_base64(data: str) -> list[float]:
    """Decode an OpenAI base64 vector back into floats."""
    return [float(x) for x in np.frombuffer(base64.b64decode(data), dtype="<f4")]


def with_encoding(response: EmbeddingResponse, encoding_format: str | None) -> EmbeddingResponse:
    """Return ``response`` with every vector in the format the client asked for."""
    want_base64 = encoding_format == "base64"
    data = []
    for item in response.data:
        vec = item.embedding
        if want_base64 and isinstance(vec, list):
            vec = encode_base64(vec)
        elif not want_base64 and isinstance(vec, str):
            vec = decode_base64(vec)
        data.append(item.model_copy(update={"embedding": vec}))
    return response.model_copy(update={"data": data})
