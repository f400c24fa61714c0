"""Errors of content filtering: the gateway's content_filter 400, and invalid filter configuration."""

from __future__ import annotations

from typing import Any

from tutela.errors import InvalidInput
from tutela.gateway.wire.exceptions import (
    InvalidRequestError,
    UpstreamInvalidRequestError,
    UpstreamUnavailableError,
)

PROMPT_FILTERED_MESSAGE = (
    "The response was filtered due to the prompt triggering Tutela's content management policy. "
    "Please modify your prompt and retry."
)

TRANSCRIPT_FILTERED_MESSAGE = (
    "The transcript was filtered because the recording's content triggered Tutela's content management "
    "policy."
)


class ContentFilterError(InvalidRequestError):
    """A prompt is over the deployment's thresholds: HTTP 400 in Azure OpenAI's shape."""

    code = "content_filter"

    def __init__(
        self,
        content_filter_result: dict[str, Any],
        *,
        prompt_index: int = 0,
        message: str = PROMPT_FILTERED_MESSAGE,
        param: str = "prompt",
    ) -> None:
        super().__init__(message, param=param)
        self.content_filter_result = content_filter_result
        self.prompt_index = prompt_index

    def to_body(self) -> dict[str, Any]:
        """`{"error": {..., "code": "content_filter", "innererror": {...}}}` as Azure OpenAI answers."""
        body = super().to_body()
        body["error"]["status"] = 400
        body["error"]["innererror"] = {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": self.content_filter_result,
        }
        return body


class UpstreamContentFilterError(ContentFilterError, UpstreamInvalidRequestError):
    """The upstream's own safety system refused the prompt: passed on in the same shape as ours.

    Azure OpenAI answers `content_filter` with `innererror.content_filter_result` (chat) or
    `content_policy_violation` / `contentFilter` with `inner_error.content_filter_results` (images); OpenAI
    answers `content_policy_violation` with no results. Clients see one shape whichever refused.
    """


class TranscriptFilteredError(ContentFilterError):
    """A transcript is over the deployment's completion thresholds: refused whole, in the same shape."""

    def __init__(self, content_filter_result: dict[str, Any]) -> None:
        super().__init__(content_filter_result, message=TRANSCRIPT_FILTERED_MESSAGE, param="file")


class ContentFilterUnavailableError(UpstreamUnavailableError):
    """The safety model could not be loaded; nothing passes unfiltered."""

    code = "content_filter_unavailable"


class InvalidPattern(InvalidInput):
    """A blocklist term or pattern, or a policy rule, that cannot be accepted."""

    code = "invalid_pattern"


class PatternBudgetExceeded(Exception):
    """Matching admin patterns on a hostile text took longer than allowed (callers fail closed)."""
