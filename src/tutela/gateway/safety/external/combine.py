"""The built-in verdict and the external services' verdicts as one: the strictest wins, and says who decided.

On top of the built-in annotations (verdicts.py), when services ran for the text:

    "hate": {"filtered": true, "severity": "high", "source": "<service name, or builtin>"}, ...
    "jailbreak": {"filtered": true, "detected": true, "source": "..."},     (and indirect_attack)
    "custom_blocklists": {"details": [{"filtered": true, "id": "<Azure blocklist>", "source": "..."}]},
    "external_services": {"filtered": false, "details": [
        {"id": "<name>", "kind": "azure_content_safety", "status": "ok", "filtered": false},
        {"id": "<name>", "kind": "llama_guard", "status": "ok", "filtered": false, "other": ["S2"]},
        {"id": "<name>", "kind": "openai_moderation", "status": "timeout", "filtered": false,
         "outcome": "fail_open"}]}

With `document_level` (the product's own requests carrying an organization's document, see
verdicts.judge), a service's harm severity on a text that holds document passages is filtered at that
level, as the built-in classifier's are for the passages; the built-in decision itself is kept as judged.

A service without a verdict (status other than ok) filters the text when its deployment setting is
`fail_closed` (outcome "fail_closed") and lets it pass when `fail_open`. No text is in any of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tutela.gateway.safety.external.base import ServiceVerdict
from tutela.gateway.safety.external.schemas import OnFailure
from tutela.gateway.safety.schemas import CompletionFilter, Level, PromptFilter
from tutela.gateway.safety.scores import HARM_CATEGORIES, Severity, severity_rank
from tutela.gateway.safety.verdicts import Verdict, over_threshold

BUILTIN = "builtin"


def combine(
    verdict: Verdict,
    outcomes: Sequence[tuple[ServiceVerdict, OnFailure]],
    settings: PromptFilter | CompletionFilter,
    *,
    document_level: Level | None = None,
) -> Verdict:
    """The built-in verdict with every service's verdict folded in (see the module docstring).

    `document_level` is given only for a text that holds document passages."""
    if not outcomes:
        return verdict  # no service screens this direction
    results: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in verdict.results.items()}
    filtered = verdict.filtered
    ok = [o for o, _ in outcomes if o.status == "ok"]
    for category in HARM_CATEGORIES:
        entry = results.setdefault(category, {"filtered": False, "severity": "safe"})
        severity: Severity = entry["severity"]
        source = BUILTIN
        level = document_level or getattr(settings, category)
        hit = bool(entry["filtered"])
        for outcome in ok:
            theirs = outcome.severities.get(category, "safe")
            hit |= over_threshold(level, theirs)
            if severity_rank(theirs) > severity_rank(severity):
                severity, source = theirs, outcome.service
        results[category] = {"filtered": hit, "severity": severity, "source": source}
        filtered |= hit
    if isinstance(settings, PromptFilter):
        for name in ("jailbreak", "indirect_attack"):
            action = getattr(settings, name)
            if action == "off":
                continue
            entry = results.get(name, {"filtered": False, "detected": False})
            detected, source = bool(entry["detected"]), BUILTIN
            for outcome in ok:
                if not detected and outcome.detections.get(name):
                    detected, source = True, outcome.service
            hit = detected and action == "filter"
            results[name] = {"filtered": hit, "detected": detected, "source": source}
            filtered |= hit
    for outcome in ok:
        if outcome.blocklists:
            lists = results.setdefault("custom_blocklists", {"filtered": False, "details": []})
            lists["details"] = list(lists["details"]) + [
                {"filtered": True, "id": name, "source": outcome.service} for name in outcome.blocklists
            ]
            lists["filtered"] = True
            filtered = True
    details = []
    for outcome, on_failure in outcomes:
        detail: dict[str, Any] = {"id": outcome.service, "kind": outcome.kind, "status": outcome.status}
        if outcome.status == "ok":
            detail["filtered"] = bool(outcome.other) and outcome.other_filters
            if outcome.other:
                detail["other"] = list(outcome.other)
        else:
            detail["filtered"] = on_failure == "fail_closed"
            detail["outcome"] = on_failure
        details.append(detail)
    services_filtered = any(d["filtered"] for d in details)
    results["external_services"] = {"filtered": services_filtered, "details": details}
    return Verdict(results=results, filtered=filtered or services_filtered)
