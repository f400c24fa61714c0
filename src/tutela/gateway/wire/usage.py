"""Token usage counters shared by chat, completions and embeddings."""

from __future__ import annotations

from tutela.gateway.wire.common import ResponseModel


class Usage(ResponseModel):
    """Token counts; extra detail objects (cached tokens, reasoning tokens) pass through."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class EmbeddingUsage(ResponseModel):
    """Token counts for an embeddings call."""

    prompt_tokens: int = 0
    total_tokens: int = 0
