"""Result types returned by the content-safety classifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["safe", "low", "medium", "high"]

HARM_CATEGORIES: tuple[str, ...] = ("hate", "sexual", "violence", "self_harm")
DETECTION_CATEGORIES: tuple[str, ...] = ("jailbreak", "indirect_attack", "profanity")
CATEGORIES: tuple[str, ...] = HARM_CATEGORIES + DETECTION_CATEGORIES

_SEVERITY_RANK: dict[Severity, int] = {"safe": 0, "low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True, slots=True)
class HarmScore:
    """Score in [0, 1] and graded severity for one harm category."""

    score: float
    severity: Severity


@dataclass(frozen=True, slots=True)
class DetectionScore:
    """Score in [0, 1] and yes/no decision for one attack or profanity detector."""

    score: float
    detected: bool


@dataclass(frozen=True, slots=True)
class SafetyScores:
    """All category results for one input text."""

    hate: HarmScore
    sexual: HarmScore
    violence: HarmScore
    self_harm: HarmScore
    jailbreak: DetectionScore
    indirect_attack: DetectionScore
    profanity: DetectionScore
    # OpenAI's moderation taxonomy on the band scale (medium at 0.5), when the encoder stage ran.
    taxonomy: dict[str, float] | None = None
    # True when the gateway's cascade sent the text to the encoder stage (an n-gram score was uncertain).
    escalated: bool = False

    def harm(self, category: str) -> HarmScore:
        """Return the harm result for `category` (one of HARM_CATEGORIES)."""
        if category not in HARM_CATEGORIES:
            raise KeyError(category)
        result: HarmScore = getattr(self, category)
        return result

    def detection(self, category: str) -> DetectionScore:
        """Return the detector result for `category` (one of DETECTION_CATEGORIES)."""
        if category not in DETECTION_CATEGORIES:
            raise KeyError(category)
        result: DetectionScore = getattr(self, category)
        return result

    def max_severity(self) -> Severity:
        """Highest severity over the four harm categories."""
        return max((self.harm(c).severity for c in HARM_CATEGORIES), key=_SEVERITY_RANK.__getitem__)

    def flagged(self, min_severity: Severity = "medium") -> bool:
        """True if any harm category reaches `min_severity` or an attack is detected.

        Profanity is deliberately excluded: it is reported, but policy decides whether it blocks.
        """
        threshold = _SEVERITY_RANK[min_severity]
        if any(_SEVERITY_RANK[self.harm(c).severity] >= threshold for c in HARM_CATEGORIES):
            return True
        return self.jailbreak.detected or self.indirect_attack.detected


def severity_rank(severity: Severity) -> int:
    """Order of a severity level (safe=0 ... high=3)."""
    return _SEVERITY_RANK[severity]
