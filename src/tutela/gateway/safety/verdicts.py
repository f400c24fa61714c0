"""From classifier scores, blocklists and rules to Azure OpenAI's annotation shapes (no text in them).

    {"hate": {"filtered": false, "severity": "safe"}, ...the four harm categories...,
     "jailbreak": {"filtered": false, "detected": false},          prompts, user turns
     "indirect_attack": {"filtered": false, "detected": false},    prompts, documents and tool results
     "profanity": {"filtered": false, "detected": false},
     "custom_blocklists": {"filtered": false, "details": [{"filtered": true, "id": "<list name>"}]},
     "organization_policies": {"filtered": false, "detected": false, "details": [{"id", "kind", "count"}]}}

Detectors set to "off" and blocklists or policies not in use are left out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tutela.gateway.safety.filtering_exceptions import PatternBudgetExceeded
from tutela.gateway.safety.policies.service import evaluate_compiled
from tutela.gateway.safety.schemas import CompletionFilter, Level, PromptFilter
from tutela.gateway.safety.scores import HARM_CATEGORIES, SafetyScores, Severity, severity_rank
from tutela.gateway.safety.service import CompiledFilter

Role = Literal["user", "document", "other"]
_LEVEL_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class Segment:
    """A piece of a prompt or completion and what it is (user turn, document, anything else)."""

    text: str
    role: Role = "other"


@dataclass(frozen=True)
class Verdict:
    """The annotations of one prompt or one completion choice, and whether it is filtered."""

    results: dict[str, Any]
    filtered: bool


def over_threshold(level: str, severity: Severity) -> bool:
    """Whether a severity is filtered at a category's level ("low", "medium", "high" or "off")."""
    return level != "off" and severity != "safe" and severity_rank(severity) >= _LEVEL_RANK[level]


def regex_deadline(chars: int) -> float:
    """Time allowed for admin patterns on this much text (linear, with a floor)."""
    return time.monotonic() + max(0.1, 3e-6 * chars)


def judge(
    segments: Sequence[Segment],
    scores: Sequence[SafetyScores],
    policy: CompiledFilter,
    *,
    direction: Literal["prompt", "completion"],
    streaming: bool = False,
    document_level: Level | None = None,
) -> Verdict:
    """Annotations and decision for one prompt (all its segments) or one completion text.

    `document_level`, when given, replaces the harm thresholds for document segments only (the product's
    own requests carrying an organization's document; see access.Caller)."""
    settings: PromptFilter | CompletionFilter = (
        policy.settings.prompt if direction == "prompt" else policy.settings.completion
    )
    results: dict[str, Any] = {}
    filtered = False
    for category in HARM_CATEGORIES:
        severities: list[Severity] = [s.harm(category).severity for s in scores]
        severity: Severity = max(severities, key=severity_rank, default="safe")
        level = getattr(settings, category)
        hit = any(
            over_threshold(document_level if document_level and seg.role == "document" else level, found)
            for seg, found in zip(segments, severities, strict=True)
        )
        results[category] = {"filtered": hit, "severity": severity}
        filtered |= hit
    detectors: list[tuple[str, str, set[Role] | None]] = [("profanity", settings.profanity, None)]
    if isinstance(settings, PromptFilter):
        detectors = [
            ("jailbreak", settings.jailbreak, {"user"}),
            ("indirect_attack", settings.indirect_attack, {"document"}),
            *detectors,
        ]
    for name, action, roles in detectors:
        if action == "off":
            continue
        detected = any(
            s.detection(name).detected
            for seg, s in zip(segments, scores, strict=True)
            if roles is None or seg.role in roles
        )
        hit = detected and action == "filter"
        results[name] = {"filtered": hit, "detected": detected}
        filtered |= hit
    chars = sum(len(s.text) for s in segments)
    if settings.blocklists:
        deadline = regex_deadline(chars)
        details = []
        for name in settings.blocklists:
            blocklist = policy.blocklists.get(name)
            if blocklist is None:
                continue
            try:
                matched = any(blocklist.matches(seg.text, deadline=deadline) for seg in segments)
            except PatternBudgetExceeded:
                matched = True  # fail closed: a text too costly to check is treated as a match
            if matched:
                details.append({"filtered": True, "id": name})
        results["custom_blocklists"] = {"filtered": bool(details), "details": details}
        filtered |= bool(details)
    if settings.organization_policies != "off" and policy.rules:
        counts: dict[tuple[str, str], int] = {}
        for seg in segments:
            for finding in evaluate_compiled(list(policy.rules), seg.text, local_only=streaming):
                key = (finding.rule_name, finding.kind)
                counts[key] = counts.get(key, 0) + 1
        hit = bool(counts) and settings.organization_policies == "filter"
        results["organization_policies"] = {
            "filtered": hit,
            "detected": bool(counts),
            "details": [{"id": n, "kind": k, "count": c} for (n, k), c in counts.items()],
        }
        filtered |= hit
    return Verdict(results=results, filtered=filtered)
