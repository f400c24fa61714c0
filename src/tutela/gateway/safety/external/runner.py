"""Running a deployment's external services: built once per cached policy, called concurrently per text.

Each service gets its own `timeout_seconds` for all of its calls on one text; the services of one text run
at the same time (and at the same time as the built-in classifier, see screen.py), so a request waits for
the slowest, not the sum. A service the organization's region does not allow, or whose key is missing, is
never called: it fails like a service that is down, under its `on_failure` setting.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from tutela.config import RegionSettings
from tutela.gateway.providers.upstream import LazyUpstream, UpstreamClient
from tutela.gateway.safety.external.azure_content_safety import AzureContentSafety
from tutela.gateway.safety.external.base import (
    SafetyService,
    ScreenText,
    ServiceFailure,
    ServiceVerdict,
    Status,
)
from tutela.gateway.safety.external.llama_guard import LlamaGuard
from tutela.gateway.safety.external.openai_moderation import OpenAIModeration
from tutela.gateway.safety.external.schemas import (
    NEEDS_KEY,
    AzureContentSafetySettings,
    LlamaGuardSettings,
    OnFailure,
    OpenAIModerationSettings,
)

log = logging.getLogger(__name__)

AnyServiceSettings = AzureContentSafetySettings | OpenAIModerationSettings | LlamaGuardSettings
Outcome = tuple[ServiceVerdict, OnFailure]


def allowed_jurisdictions(region: RegionSettings) -> frozenset[str]:
    """Where a region lets text be sent for screening: its own jurisdiction and those it lists."""
    return frozenset({region.jurisdiction, *region.screening_jurisdictions})


@dataclass(frozen=True)
class ConfiguredService:
    """A service ready to call, or the reason it will not be called."""

    service: SafetyService
    settings: AnyServiceSettings
    problem: Status | None = None

    def applies_to(self, direction: str) -> bool:
        """Whether the deployment sends this direction (prompts, completions) to the service."""
        return self.settings.prompts if direction == "prompt" else self.settings.completions


def _service(settings: AnyServiceSettings, api_key: str | None) -> SafetyService:
    if isinstance(settings, AzureContentSafetySettings):
        return AzureContentSafety(settings, api_key=api_key)
    if isinstance(settings, OpenAIModerationSettings):
        return OpenAIModeration(settings, api_key=api_key)
    return LlamaGuard(settings, api_key=api_key)


def build(
    services: Sequence[AnyServiceSettings], *, sealed_keys: dict[str, str], allowed: frozenset[str]
) -> tuple[ConfiguredService, ...]:
    """The services of a deployment's filter, with their keys (sealed, or from the environment)."""
    out = []
    for settings in services:
        problem: Status | None = None
        api_key = sealed_keys.get(settings.name)
        if api_key is None and settings.api_key_env:
            api_key = os.environ.get(settings.api_key_env, "").strip() or None
        if api_key is None and settings.kind in NEEDS_KEY:
            problem = "no_credentials"
        if settings.jurisdiction not in allowed:
            problem = "not_allowed_in_region"
        out.append(ConfiguredService(_service(settings, api_key), settings, problem))
    return tuple(out)


class ExternalChecks:
    """The HTTP pool the services share (opened on first use) and the concurrent calls."""

    def __init__(self) -> None:
        self._http = LazyUpstream(max_connections=100)

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        await self._http.close()

    async def _client(self) -> UpstreamClient:
        return await self._http.get()

    async def run(
        self, services: Sequence[ConfiguredService], texts: Sequence[ScreenText]
    ) -> list[list[Outcome]]:
        """Every applicable service on every text, all at once; one list of outcomes per text."""
        http = await self._client()
        plan = [[c for c in services if c.applies_to(t.direction)] for t in texts]
        verdicts = await asyncio.gather(
            *(_one(http, c, t) for t, chosen in zip(texts, plan, strict=True) for c in chosen)
        )
        out: list[list[Outcome]] = []
        at = 0
        for chosen in plan:
            out.append([(v, c.settings.on_failure) for v, c in zip(verdicts[at:], chosen, strict=False)])
            at += len(chosen)
        return out


async def _one(http: UpstreamClient, configured: ConfiguredService, text: ScreenText) -> ServiceVerdict:
    service = configured.service
    status: Status
    if configured.problem is not None:
        status = configured.problem
    elif not any(s.text for s in text.segments):
        return ServiceVerdict(service=service.name, kind=service.kind)
    else:
        try:
            async with asyncio.timeout(configured.settings.timeout_seconds):
                return await service.check(http, text)
        except TimeoutError:
            status = "timeout"
        except ServiceFailure as exc:
            status = exc.status
    log.warning("safety service %s (%s) gave no verdict: %s", service.name, service.kind, status)
    return ServiceVerdict(service=service.name, kind=service.kind, status=status)
