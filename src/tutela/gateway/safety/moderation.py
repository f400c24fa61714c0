"""`POST /v1/moderations`, compatible with OpenAI's, backed by the built-in classifier.

OpenAI's categories the model scores directly are hate, sexual, violence and self-harm. Its finer
categories are reported with the score of the category that contains them (an upper bound):
harassment ← hate; hate/threatening and harassment/threatening ← min(hate, violence);
sexual/minors ← sexual; violence/graphic ← violence; self-harm/intent and /instructions ← self-harm.
`illicit` and `illicit/violent` are not modelled (null). Tutela adds `jailbreak`, `indirect_attack` and
`profanity`. A category is flagged at severity medium and above (detections when detected); `flagged` is
any category but profanity. The input is not stored or logged.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutela.gateway.api.router import authenticated, read_body
from tutela.gateway.api.routing import LeanRoute
from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.exceptions import SafetyError
from tutela.gateway.safety.filtering_exceptions import ContentFilterUnavailableError
from tutela.gateway.safety.scores import SafetyScores, severity_rank
from tutela.gateway.wire.errors import invalid_request_from_validation
from tutela.gateway.wire.exceptions import InvalidRequestError

router = APIRouter(tags=["gateway"], route_class=LeanRoute)

MODEL = "tutela-safety-1"
MAX_INPUTS = 256


class TextInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["text"]
    text: str


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    input: (
        str
        | Annotated[list[str], Field(max_length=MAX_INPUTS)]
        | Annotated[list[TextInput], Field(max_length=MAX_INPUTS)]
    )
    model: str | None = None

    def texts(self) -> list[str]:
        if isinstance(self.input, str):
            return [self.input]
        return [i if isinstance(i, str) else i.text for i in self.input]


def _result(s: SafetyScores) -> dict[str, Any]:
    hate, sexual, violence, self_harm = (s.harm(c).score for c in ("hate", "sexual", "violence", "self_harm"))
    flagged = {
        c: severity_rank(s.harm(c).severity) >= severity_rank("medium")
        for c in ("hate", "sexual", "violence", "self_harm")
    }
    scores: dict[str, float | None] = {
        "harassment": hate,
        "harassment/threatening": min(hate, violence),
        "hate": hate,
        "hate/threatening": min(hate, violence),
        "illicit": None,
        "illicit/violent": None,
        "self-harm": self_harm,
        "self-harm/instructions": self_harm,
        "self-harm/intent": self_harm,
        "sexual": sexual,
        "sexual/minors": sexual,
        "violence": violence,
        "violence/graphic": violence,
        "jailbreak": s.jailbreak.score,
        "indirect_attack": s.indirect_attack.score,
        "profanity": s.profanity.score,
    }
    both = flagged["hate"] and flagged["violence"]
    categories: dict[str, bool | None] = {
        "harassment": flagged["hate"],
        "harassment/threatening": both,
        "hate": flagged["hate"],
        "hate/threatening": both,
        "illicit": None,
        "illicit/violent": None,
        "self-harm": flagged["self_harm"],
        "self-harm/instructions": flagged["self_harm"],
        "self-harm/intent": flagged["self_harm"],
        "sexual": flagged["sexual"],
        "sexual/minors": flagged["sexual"],
        "violence": flagged["violence"],
        "violence/graphic": flagged["violence"],
        "jailbreak": s.jailbreak.detected,
        "indirect_attack": s.indirect_attack.detected,
        "profanity": s.profanity.detected,
    }
    return {
        "flagged": any(v for k, v in categories.items() if k != "profanity"),
        "categories": categories,
        "category_scores": {
            k: (None if v is None else round(min(1.0, max(0.0, v)), 6)) for k, v in scores.items()
        },
        "category_applied_input_types": {k: ["text"] for k in categories if categories[k] is not None},
        "severities": {c: s.harm(c).severity for c in ("hate", "sexual", "violence", "self_harm")},
    }


@router.post("/v1/moderations")
async def moderations(request: Request) -> JSONResponse:
    """Classify text(s) as OpenAI's moderation endpoint does."""
    _, gateway = authenticated(request)
    raw = await read_body(request, gateway)
    try:
        body = ModerationRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_request_from_validation(exc) from None
    texts = body.texts()
    if not texts:
        raise InvalidRequestError("'input' must not be empty.", param="input")
    try:
        classifier = SafetyClassifier.load()
    except SafetyError:
        raise ContentFilterUnavailableError("The moderation model is unavailable.") from None
    scores = await asyncio.to_thread(classifier.classify, texts)
    return JSONResponse(
        {
            "id": f"modr-{secrets.token_urlsafe(18)}",
            "model": body.model or MODEL,
            "results": [_result(s) for s in scores],
        }
    )
