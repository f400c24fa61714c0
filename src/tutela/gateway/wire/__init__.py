"""Pydantic models and helpers for the OpenAI wire formats the gateway speaks."""

from tutela.gateway.wire.aggregate import collect_chat, collect_completion
from tutela.gateway.wire.chat import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    Choice,
    ChunkChoice,
    Delta,
    ResponseMessage,
    chat_chunk,
    chunk_from_response,
    new_chat_id,
    usage_chunk,
)
from tutela.gateway.wire.completions import (
    CompletionChoice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    new_completion_id,
)
from tutela.gateway.wire.embeddings import Embedding, EmbeddingRequest, EmbeddingResponse, with_encoding
from tutela.gateway.wire.errors import (
    ErrorBody,
    ErrorDetail,
    error_for_status,
    invalid_request_from_validation,
)
from tutela.gateway.wire.images import ImageData, ImageRequest, ImageResponse
from tutela.gateway.wire.messages import Message
from tutela.gateway.wire.model_list import ModelCard, ModelList
from tutela.gateway.wire.parsing import (
    DEFAULT_LIMITS,
    WireLimits,
    parse_chat_request,
    parse_completion_request,
    parse_embedding_request,
    parse_image_request,
)
from tutela.gateway.wire.sampling import StreamOptions
from tutela.gateway.wire.sse import DONE, encode_error, encode_event, sse_stream
from tutela.gateway.wire.usage import EmbeddingUsage, Usage

__all__ = [
    "DEFAULT_LIMITS",
    "DONE",
    "ChatChunk",
    "ChatRequest",
    "ChatResponse",
    "Choice",
    "ChunkChoice",
    "CompletionChoice",
    "CompletionChunk",
    "CompletionRequest",
    "CompletionResponse",
    "Delta",
    "Embedding",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "EmbeddingUsage",
    "ErrorBody",
    "ErrorDetail",
    "ImageData",
    "ImageRequest",
    "ImageResponse",
    "Message",
    "ModelCard",
    "ModelList",
    "ResponseMessage",
    "StreamOptions",
    "Usage",
    "WireLimits",
    "chat_chunk",
    "chunk_from_response",
    "collect_chat",
    "collect_completion",
    "encode_error",
    "encode_event",
    "error_for_status",
    "invalid_request_from_validation",
    "new_chat_id",
    "new_completion_id",
    "parse_chat_request",
    "parse_completion_request",
    "parse_embedding_request",
    "parse_image_request",
    "sse_stream",
    "usage_chunk",
    "with_encoding",
]
