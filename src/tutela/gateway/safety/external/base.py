"""The seam every external safety service fills, its input and its verdict (no text in the verdict).

    SafetyService.check(http, text) -> ServiceVerdict      one service, one prompt or completion
      AzureContentSafety   azure_content_safety.py
      OpenAIModeration     openai_moderation.py
      LlamaGuard           llama_guard.py
      NullService          no opinion and no call (a deployment without services has none at all:
                           the screen then starts nothing and adds nothing to the request)

A service raises `ServiceFailure` (with a short status) when it cannot give a verdict; the runner
(runner.py) turns that, a timeout or a residency refusal into a failed verdict, and the deployment's
`on_failure` decides whether the text passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from tutela.gateway.providers.retry import RetryPolicy
from tutela.gateway.providers.upstream import UpstreamClient, UpstreamRequest
from tutela.gateway.safety.scores import Severity, severity_rank
from tutela.gateway.safety.verdicts import Segment
from tutela.gateway.wire.exceptions import (
    GatewayError,
    PayloadTooLargeError,
    RateLimitError,
    UpstreamAuthenticationError,
    UpstreamInvalidRequestError,
    UpstreamResponseError,
    UpstreamTimeoutError,
)

T = TypeVar("T")
Direction = Literal["prompt", "completion"]
Status = Literal[
    "ok",
    "timeout",  # no complete answer within the service's timeout_seconds
    "unavailable",  # connection refused or reset, or a 5xx
    "rejected",  # a 4xx: wrong key, unknown blocklist, text refused by the service...
    "malformed",  # an answer that is not the service's protocol
    "too_long",  # more text than the service is sent per request (MAX_CALLS chunks)
    "not_allowed_in_region",  # the organization's region does not allow the service's jurisdiction
    "no_credentials",  # no sealed key, and the key's variable is unset or empty
]

CHUNK_CHARS = 10_000  # Azure's per-request limit; used by every service for a like cost
MAX_CALLS = 16  # per service and text: 160,000 characters; longer texts fail as "too_long"


class ServiceFailure(Exception):
    """A service could not give a verdict; `status` says why (never any text of the request)."""

    def __init__(self, status: Status, detail: str = "") -> None:
        super().__init__(f"{status}: {detail}" if detail else status)
        self.status: Status = status
        self.detail = detail


@dataclass(frozen=True)
class ScreenText:
    """What one service is shown: the segments of one prompt, or one completion and its prompt."""

    direction: Direction
    segments: tuple[Segment, ...]
    # For a completion: the prompt it answers (Llama Guard classifies the agent turn in context).
    context: str = ""

    def joined(self, roles: frozenset[str] | None = None) -> str:
        """The texts of the segments (of the given roles), one per paragraph."""
        return "\n\n".join(s.text for s in self.segments if s.text and (roles is None or s.role in roles))


@dataclass
class ServiceVerdict:
    """One service's verdict on one text: severities, detections, blocklist hits; or why it has none."""

    service: str
    kind: str
    status: Status = "ok"
    severities: dict[str, Severity] = field(default_factory=dict)
    detections: dict[str, bool] = field(default_factory=dict)  # jailbreak, indirect_attack
    blocklists: list[str] = field(default_factory=list)
    # Service categories with no Tutela category (e.g. Llama Guard's S2), and whether they filter.
    other: list[str] = field(default_factory=list)
    other_filters: bool = False

    def raise_severity(self, category: str, severity: Severity) -> None:
        """Keep the highest severity seen for a category."""
        known = self.severities.get(category)
        if known is None or severity_rank(severity) > severity_rank(known):
            self.severities[category] = severity


class SafetyService(Protocol):
    """One configured external service."""

    name: str
    kind: str

    async def check(self, http: UpstreamClient, text: ScreenText) -> ServiceVerdict: ...


class NullService:
    """A service with no opinion: every text is ok and nothing is sent anywhere."""

    def __init__(self, name: str = "null") -> None:
        self.name = name
        self.kind = "null"

    async def check(self, http: UpstreamClient, text: ScreenText) -> ServiceVerdict:
        """Say nothing about the text."""
        return ServiceVerdict(service=self.name, kind=self.kind)


async def all_of(calls: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run calls at once; the first ServiceFailure cancels the rest and is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as failed:
        failures = failed.subgroup(ServiceFailure)
        if failures is None:
            raise
        first: BaseException = failures
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [task.result() for task in tasks]


def chunks(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """The text in pieces of at most `size` characters; ServiceFailure("too_long") past MAX_CALLS."""
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    if len(pieces) > MAX_CALLS:
        raise ServiceFailure("too_long", f"{len(text)} characters")
    return pieces


async def post_json(
    http: UpstreamClient, url: str, body: dict[str, Any], *, headers: dict[str, str], secret: str | None
) -> Any:
    """One POST to a service, no retries (the request is waiting); failures as ServiceFailure."""
    request = UpstreamRequest(
        url=url,
        body=body,
        headers=headers,
        retry=_NO_RETRY,
        secrets=(secret,) if secret else (),
    )
    try:
        return await http.post_json(request)
    except UpstreamTimeoutError:
        raise ServiceFailure("timeout") from None
    except UpstreamResponseError:
        raise ServiceFailure("malformed", "not JSON, or too large") from None
    except (UpstreamInvalidRequestError, UpstreamAuthenticationError, PayloadTooLargeError, RateLimitError):
        raise ServiceFailure("rejected") from None
    except GatewayError:
        raise ServiceFailure("unavailable") from None


_NO_RETRY = RetryPolicy(max_retries=0)
