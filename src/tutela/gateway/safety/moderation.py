"""`POST /v1/moderations`, compatible with OpenAI's, backed by the built-in classifier.

Every input goes through the encoder stage (`classify(..., thorough=True)`), which scores OpenAI's
thirteen categories: harassment, harassment/threatening, hate, hate/threatening, illicit,
illicit/violent, self-harm, self-harm/instructions, self-harm/intent, sexual, sexual/minors, violence,
violence/graphic. Each has its own head except the ones `model/encoder.json` lists as derived (see
`encoder.py`: parent × a related head, never a copy of the parent). Scores share one scale: medium
severity at 0.5 in every category, so a category is flagged exactly when its score is at least 0.5,
and `flagged` is any of the thirteen. Tutela adds `jailbreak`, `indirect_attack` and `profanity`
(the n-gram detectors; reported, not part of `flagged`, as OpenAI's endpoint has no such categories)
and the four gateway `severities`. The input is not stored or logged.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutela.gateway.api.router import authenticated, read_body
from tutela.gateway.api.routing import LeanRoute
from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.exceptions import SafetyError
from tutela.gateway.safety.filtering_exceptions import ContentFilterUnavailableError
from tutela.gateway.safety.scores import HARM_CATEGORIES, SafetyScores
from tutela.gateway.safety.taxonomy import TAXONOMY
from tutela.gateway.wire.errors import invalid_request_from_validation
from tutela.gateway.wire.exceptions import InvalidRequestError

router = APIRouter(tags=["gateway"], route_class=LeanRoute)

MODEL = "tutela-safety-1"
MAX_INPUTS = 256
MEDIUM = 0.5  # medium severity on the shared band scale (encoder.BAND_POINTS)


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
    taxonomy = s.taxonomy
    if taxonomy is None:
        raise ContentFilterUnavailableError("The moderation model's encoder stage is unavailable.")
    raw = {**taxonomy, "jailbreak": s.jailbreak.score, "indirect_attack": s.indirect_attack.score}
    raw["profanity"] = s.profanity.score
    # Flags are read off the rounded scores, so a client comparing a score with 0.5 always agrees.
    scores = {k: round(min(1.0, max(0.0, v)), 6) for k, v in raw.items()}
    categories: dict[str, bool] = {
        **{cat: scores[cat] >= MEDIUM for cat in TAXONOMY},
        "jailbreak": s.jailbreak.detected,
        "indirect_attack": s.indirect_attack.detected,
        "profanity": s.profanity.detected,
    }
    return {
        "flagged": any(categories[cat] for cat in TAXONOMY),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": {k: ["text"] for k in categories},
        "severities": {c: s.harm(c).severity for c in HARM_CATEGORIES},
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
    scores = await asyncio.to_thread(partial(classifier.classify, texts, thorough=True))
    return JSONResponse(
        {
            "id": f"modr-{secrets.token_urlsafe(18)}",
            "model": body.model or MODEL,
            "results": [_result(s) for s in scores],
        }
    )
