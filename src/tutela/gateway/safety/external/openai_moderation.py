"""OpenAI's moderation API (`POST {base_url}/moderations`, the `omni-moderation-latest` reply shape).

OpenAI's categories onto Tutela's, each group taking its highest score:

    hate        hate, hate/threatening, harassment, harassment/threatening
    sexual      sexual, sexual/minors
    violence    violence, violence/graphic, illicit/violent
    self_harm   self-harm, self-harm/intent, self-harm/instructions

Bands: a group is medium when OpenAI flags any of its categories (`categories[c]` true), high when a flagged
category is one of the severe ones (threatening, minors, graphic, intent, instructions, illicit/violent) or
its score is at least HIGH_SCORE, low when its highest score is at least LOW_SCORE, safe otherwise.
`illicit` alone has no Tutela category and is reported as `other`.
"""

from __future__ import annotations

from typing import Any

from tutela.gateway.providers.upstream import UpstreamClient
from tutela.gateway.safety.external.base import (
    ScreenText,
    ServiceFailure,
    ServiceVerdict,
    chunks,
    post_json,
)
from tutela.gateway.safety.external.schemas import OpenAIModerationSettings
from tutela.gateway.safety.scores import Severity

GROUPS: dict[str, tuple[str, ...]] = {
    "hate": ("hate", "hate/threatening", "harassment", "harassment/threatening"),
    "sexual": ("sexual", "sexual/minors"),
    "violence": ("violence", "violence/graphic", "illicit/violent"),
    "self_harm": ("self-harm", "self-harm/intent", "self-harm/instructions"),
}
SEVERE = frozenset(
    {
        "hate/threatening",
        "harassment/threatening",
        "sexual/minors",
        "violence/graphic",
        "illicit/violent",
        "self-harm/intent",
        "self-harm/instructions",
    }
)
LOW_SCORE = 0.2
HIGH_SCORE = 0.9


def result_severities(result: Any) -> tuple[dict[str, Severity], bool]:
    """Tutela's bands for one entry of `results`, and whether `illicit` alone was flagged."""
    if not isinstance(result, dict):
        raise ServiceFailure("malformed", "a result is not an object")
    flags, scores = result.get("categories"), result.get("category_scores")
    if not isinstance(flags, dict) or not isinstance(scores, dict):
        raise ServiceFailure("malformed", "a result has no categories or category_scores")
    out: dict[str, Severity] = {}
    for category, members in GROUPS.items():
        top, flagged, severe = 0.0, False, False
        for member in members:
            score, flag = scores.get(member), flags.get(member)
            if score is None and flag is None:
                continue  # older models lack illicit/violent
            if isinstance(score, bool) or not isinstance(score, int | float) or not isinstance(flag, bool):
                raise ServiceFailure("malformed", f"{member}: score or flag of the wrong type")
            top = max(top, float(score))
            flagged |= flag
            severe |= flag and member in SEVERE
        if flagged:
            out[category] = "high" if severe or top >= HIGH_SCORE else "medium"
        else:
            out[category] = "low" if top >= LOW_SCORE else "safe"
    return out, flags.get("illicit") is True


class OpenAIModeration:
    """One moderation endpoint (OpenAI's, or any server speaking its protocol)."""

    kind = "openai_moderation"

    def __init__(self, settings: OpenAIModerationSettings, *, api_key: str | None) -> None:
        self.name = settings.name
        self.settings = settings
        self.api_key = api_key
        self._url = settings.base_url.rstrip("/") + "/moderations"

    async def check(self, http: UpstreamClient, text: ScreenText) -> ServiceVerdict:
        """All pieces of the text in one request (the API takes a list of inputs)."""
        verdict = ServiceVerdict(service=self.name, kind=self.kind)
        pieces = chunks(text.joined())
        if not pieces:
            return verdict
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.settings.model, "input": pieces}
        reply = await post_json(http, self._url, body, headers=headers, secret=self.api_key)
        results = reply.get("results") if isinstance(reply, dict) else None
        if not isinstance(results, list) or len(results) != len(pieces):
            raise ServiceFailure("malformed", "results do not match the inputs sent")
        for result in results:
            severities, illicit = result_severities(result)
            for category, severity in severities.items():
                verdict.raise_severity(category, severity)
            if illicit and "illicit" not in verdict.other:
                verdict.other.append("illicit")
        return verdict
