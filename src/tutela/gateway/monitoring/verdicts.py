"""Reading the content screen's verdicts (`Exchange.verdicts`) into the few facts flagging needs.

The screen (tutela.gateway.safety) annotates each exchange with Azure-OpenAI-style results, e.g.

    {"filtered": true,
     "prompt": {"hate": {"filtered": false, "severity": "low"},
                "jailbreak": {"filtered": true, "detected": true}},
     "completion": {...}}

This reader does not depend on the exact nesting: it walks the whole structure and takes any `filtered: true`
as a filtered request, the highest `severity` anywhere, and a `jailbreak` entry with `detected`/`filtered`
true as a jailbreak attempt. Verdicts hold no content, so they are stored in the clear as metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SEVERITY_RANK = {"safe": 0, "low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class Summary:
    """What the verdicts of one request say."""

    filtered: bool = False
    severity: str = "safe"
    jailbreak: bool = False


def _walk(value: Any, path: tuple[str, ...], found: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if value.get("filtered") is True:
            found["filtered"] = True
        severity = value.get("severity")
        if isinstance(severity, str) and SEVERITY_RANK.get(severity, 0) > SEVERITY_RANK[found["severity"]]:
            found["severity"] = severity
        if (
            path
            and path[-1] in ("jailbreak", "jailbreak_attempt")
            and (value.get("detected") is True or value.get("filtered") is True)
        ):
            found["jailbreak"] = True
        for key, item in value.items():
            _walk(item, (*path, str(key)), found)
    elif isinstance(value, list):
        for item in value:
            _walk(item, path, found)
    elif value is True and path and path[-1] in ("jailbreak", "jailbreak_detected"):
        found["jailbreak"] = True


def summarize(verdicts: dict[str, Any]) -> Summary:
    """The facts flagging uses, from whatever the screen wrote."""
    found: dict[str, Any] = {"filtered": False, "severity": "safe", "jailbreak": False}
    _walk(verdicts, (), found)
    return Summary(filtered=found["filtered"], severity=found["severity"], jailbreak=found["jailbreak"])
