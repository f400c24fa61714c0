"""Built-in offline content-safety classifier for the AI gateway (see docs/safety-model-card.md)."""

from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.exceptions import SafetyError, SafetyModelError
from tutela.gateway.safety.scores import (
    CATEGORIES,
    DETECTION_CATEGORIES,
    HARM_CATEGORIES,
    DetectionScore,
    HarmScore,
    SafetyScores,
    Severity,
)

__all__ = [
    "CATEGORIES",
    "DETECTION_CATEGORIES",
    "HARM_CATEGORIES",
    "DetectionScore",
    "HarmScore",
    "SafetyClassifier",
    "SafetyError",
    "SafetyModelError",
    "SafetyScores",
    "Severity",
]
