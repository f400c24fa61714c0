"""Azure AI Content Safety: `text:analyze` for the four harm categories and blocklists, `text:shieldPrompt`
for jailbreaks (user turns) and document attacks (documents and tool results), key in
`Ocp-Apim-Subscription-Key`.

Severities: 0-7 with `EightSeverityLevels`, or 0/2/4/6 by default; 0-1 safe, 2-3 low, 4-5 medium, 6-7 high
(the bands Azure OpenAI's filter uses). A blocklist hit is kept by blocklist name only; the matched
item's text in the reply is dropped.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from tutela.gateway.providers.upstream import UpstreamClient
from tutela.gateway.safety.external.base import (
    ScreenText,
    ServiceFailure,
    ServiceVerdict,
    all_of,
    chunks,
    post_json,
)
from tutela.gateway.safety.external.schemas import AzureContentSafetySettings
from tutela.gateway.safety.scores import Severity

CATEGORIES = {"Hate": "hate", "SelfHarm": "self_harm", "Sexual": "sexual", "Violence": "violence"}
_BANDS: tuple[Severity, ...] = ("safe", "safe", "low", "low", "medium", "medium", "high", "high")
USER = frozenset({"user"})
DOCUMENTS = frozenset({"document"})


def band(severity: Any) -> Severity:
    """Azure's 0-7 severity as Tutela's band; ServiceFailure("malformed") for anything else."""
    if isinstance(severity, bool) or not isinstance(severity, int) or not 0 <= severity <= 7:
        raise ServiceFailure("malformed", "severity is not an integer from 0 to 7")
    return _BANDS[severity]


class AzureContentSafety:
    """One Azure AI Content Safety resource (see the module docstring)."""

    kind = "azure_content_safety"

    def __init__(self, settings: AzureContentSafetySettings, *, api_key: str | None) -> None:
        self.name = settings.name
        self.settings = settings
        self.api_key = api_key
        self._base = settings.endpoint.rstrip("/") + "/contentsafety/text:"

    def _headers(self) -> dict[str, str]:
        return {"Ocp-Apim-Subscription-Key": self.api_key} if self.api_key else {}

    def _url(self, operation: str) -> str:
        return f"{self._base}{operation}?api-version={self.settings.api_version}"

    async def check(self, http: UpstreamClient, text: ScreenText) -> ServiceVerdict:
        """Analyze the text (and shield a prompt), all calls at once."""
        verdict = ServiceVerdict(service=self.name, kind=self.kind)
        pieces = chunks(text.joined())
        shielded = text.direction == "prompt" and self.settings.shield_prompt
        shields = self._shield_pairs(text) if shielded else []
        calls = [self._analyze(http, piece, verdict) for piece in pieces]
        calls += [self._shield(http, user, document, verdict) for user, document in shields]
        await all_of(calls)
        return verdict

    @staticmethod
    def _shield_pairs(text: ScreenText) -> list[tuple[str, str | None]]:
        """User-turn and document pieces, paired to need as few calls as possible."""
        user, documents = text.joined(USER), text.joined(DOCUMENTS)
        pairs = zip_longest(chunks(user) if user else [], chunks(documents) if documents else [])
        return [(u or "", d) for u, d in pairs]

    async def _analyze(self, http: UpstreamClient, piece: str, verdict: ServiceVerdict) -> None:
        body: dict[str, Any] = {
            "text": piece,
            "categories": list(CATEGORIES),
            "outputType": self.settings.output_type,
        }
        if self.settings.blocklist_names:
            body["blocklistNames"] = self.settings.blocklist_names
            body["haltOnBlocklistHit"] = self.settings.halt_on_blocklist_hit
        reply = await post_json(
            http, self._url("analyze"), body, headers=self._headers(), secret=self.api_key
        )
        if not isinstance(reply, dict) or not isinstance(reply.get("categoriesAnalysis"), list):
            raise ServiceFailure("malformed", "no categoriesAnalysis list")
        for item in reply["categoriesAnalysis"]:
            if not isinstance(item, dict):
                raise ServiceFailure("malformed", "a categoriesAnalysis entry is not an object")
            raw = item.get("category")
            category = CATEGORIES.get(raw) if isinstance(raw, str) else None
            severity = band(item.get("severity"))
            if category is not None:
                verdict.raise_severity(category, severity)
        matches = reply.get("blocklistsMatch") or []
        if not isinstance(matches, list):
            raise ServiceFailure("malformed", "blocklistsMatch is not a list")
        for match in matches:
            name = match.get("blocklistName") if isinstance(match, dict) else None
            if not isinstance(name, str):
                raise ServiceFailure("malformed", "a blocklist match has no blocklistName")
            if name not in verdict.blocklists:
                verdict.blocklists.append(name)

    async def _shield(
        self, http: UpstreamClient, user: str, document: str | None, verdict: ServiceVerdict
    ) -> None:
        body = {"userPrompt": user, "documents": [document] if document else []}
        reply = await post_json(
            http, self._url("shieldPrompt"), body, headers=self._headers(), secret=self.api_key
        )
        if not isinstance(reply, dict):
            raise ServiceFailure("malformed", "not an object")
        if user:
            verdict.detections["jailbreak"] = verdict.detections.get("jailbreak", False) or _attack(
                reply.get("userPromptAnalysis")
            )
        if document:
            analyses = reply.get("documentsAnalysis")
            if not isinstance(analyses, list) or len(analyses) != 1:
                raise ServiceFailure("malformed", "documentsAnalysis does not match the documents sent")
            verdict.detections["indirect_attack"] = verdict.detections.get(
                "indirect_attack", False
            ) or _attack(analyses[0])


def _attack(analysis: Any) -> bool:
    detected = analysis.get("attackDetected") if isinstance(analysis, dict) else None
    if not isinstance(detected, bool):
        raise ServiceFailure("malformed", "attackDetected is not a boolean")
    return detected
