"""OpenAI's moderation taxonomy as the encoder heads score it, and how it folds into the gateway's four
harm categories (Azure's hate, sexual, violence, self_harm)."""

from __future__ import annotations

TAXONOMY: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

# Sub-category -> parent category.
PARENT: dict[str, str] = {
    "harassment/threatening": "harassment",
    "hate/threatening": "hate",
    "illicit/violent": "illicit",
    "self-harm/instructions": "self-harm",
    "self-harm/intent": "self-harm",
    "sexual/minors": "sexual",
    "violence/graphic": "violence",
}

# Gateway harm category -> the taxonomy categories whose maximum grades it. Harassment and threats
# grade as hate, as Azure's "hate and fairness" covers bullying and intimidation; illicit has no
# Azure category and is reported by /v1/moderations only.
GATEWAY: dict[str, tuple[str, ...]] = {
    "hate": ("hate", "hate/threatening", "harassment", "harassment/threatening"),
    "sexual": ("sexual", "sexual/minors"),
    "violence": ("violence", "violence/graphic"),
    "self_harm": ("self-harm", "self-harm/intent", "self-harm/instructions"),
}
