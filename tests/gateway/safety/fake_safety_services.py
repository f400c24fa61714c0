"""Fake external safety services: one real HTTP server on loopback speaking three real protocols.

- Azure AI Content Safety: `POST /contentsafety/text:analyze` and `text:shieldPrompt` with `api-version`,
  `Ocp-Apim-Subscription-Key`, the 10,000-character limit and Azure's error bodies.
- OpenAI moderation: `POST /v1/moderations` (omni-moderation shape: all 13 categories, scores, flags).
- Llama Guard 3 behind an OpenAI-compatible chat endpoint: `POST /guard/v1/chat/completions`, answering
  `safe` or `unsafe\\nS1,S10` about the last turn.

Verdicts come from marker words in the text (AZ_HATE, AZ_JAILBREAK, AZ_INJECT, AZ_BLOCKED, OAI_VIOLENCE,
OAI_ILLICIT, LG_S1, LG_S2, LG_S10 ...). `mode` switches every protocol to a failure: "slow" (waits `delay`
seconds), "error" (500), "malformed" (200 with the wrong shape), "not_json".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from tests.support.server import serve

AZURE_KEY = "azure-cs-key-0123456789abcdef"
OPENAI_KEY = "sk-moderation-key-0123456789"
Mode = Literal["ok", "slow", "error", "malformed", "not_json"]
OPENAI_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


@dataclass
class Seen:
    """One request as the fake saw it (path and body; kept in the test process only)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeSafetyServices:
    url: str = ""
    mode: Mode = "ok"
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[FakeSafetyServices]:
        """Serve on a free loopback port for the duration of the block."""
        fake = cls()
        with serve(fake._app()) as url:
            fake.url = url
            yield fake

    @property
    def azure_endpoint(self) -> str:
        return self.url

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def guard_base_url(self) -> str:
        return f"{self.url}/guard/v1"

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    async def _failure(self) -> Response | None:
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
            return None
        if self.mode == "error":
            return JSONResponse({"error": {"code": "InternalServerError", "message": "boom"}}, 500)
        if self.mode == "not_json":
            return PlainTextResponse("<html>gateway error</html>", 200)
        if self.mode == "malformed":
            return JSONResponse({"unexpected": True}, 200)
        return None

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/contentsafety/{operation}")
        async def azure(operation: str, request: Request) -> Response:
            body = await request.json()
            self.seen.append(Seen(request.url.path, dict(request.query_params), dict(request.headers), body))
            if request.headers.get("ocp-apim-subscription-key") != AZURE_KEY:
                message = "Access denied due to invalid subscription key or wrong API endpoint."
                return JSONResponse({"error": {"code": "401", "message": message}}, 401)
            if request.query_params.get("api-version") != "2024-09-01":
                return JSONResponse({"error": {"code": "404", "message": "Resource not found"}}, 404)
            failure = await self._failure()
            if failure is not None:
                return failure
            if operation == "text:analyze":
                return _azure_analyze(body)
            if operation == "text:shieldPrompt":
                return _azure_shield(body)
            return JSONResponse({"error": {"code": "404", "message": "Resource not found"}}, 404)

        @app.post("/v1/moderations")
        async def moderations(request: Request) -> Response:
            body = await request.json()
            self.seen.append(Seen(request.url.path, {}, dict(request.headers), body))
            if request.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
                error = {"message": "Incorrect API key provided.", "type": "invalid_request_error"}
                return JSONResponse({"error": error | {"param": None, "code": "invalid_api_key"}}, 401)
            failure = await self._failure()
            if failure is not None:
                return failure
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return JSONResponse(
                {"id": "modr-1", "model": body.get("model"), "results": [_moderation(t) for t in inputs]}
            )

        @app.post("/guard/v1/chat/completions")
        async def guard(request: Request) -> Response:
            body = await request.json()
            self.seen.append(Seen(request.url.path, {}, dict(request.headers), body))
            failure = await self._failure()
            if failure is not None:
                return failure
            return JSONResponse(_guard(body))

        return app


def _azure_analyze(body: dict[str, Any]) -> Response:
    text = body.get("text")
    if not isinstance(text, str) or len(text) > 10_000:
        message = "The text is empty or exceeds the 10K characters limit."
        return JSONResponse({"error": {"code": "InvalidRequestBody", "message": message}}, 400)
    eight = body.get("outputType") == "EightSeverityLevels"
    severity = {"Hate": 0, "SelfHarm": 0, "Sexual": 0, "Violence": 0}
    for match in re.finditer(r"AZ_(HATE|SELFHARM|SEXUAL|VIOLENCE)(\d)?", text):
        name = {"HATE": "Hate", "SELFHARM": "SelfHarm", "SEXUAL": "Sexual", "VIOLENCE": "Violence"}[match[1]]
        level = int(match[2]) if match[2] else 6
        severity[name] = max(severity[name], level if eight else level // 2 * 2)
    matches = []
    for name in body.get("blocklistNames") or []:
        if "AZ_BLOCKED" in text:
            matches.append(
                {"blocklistName": name, "blocklistItemId": "item-1", "blocklistItemText": "AZ_BLOCKED"}
            )
    if matches and body.get("haltOnBlocklistHit"):
        return JSONResponse({"blocklistsMatch": matches, "categoriesAnalysis": []})
    analysis = [{"category": c, "severity": severity[c]} for c in body.get("categories") or severity]
    return JSONResponse({"blocklistsMatch": matches, "categoriesAnalysis": analysis})


def _azure_shield(body: dict[str, Any]) -> Response:
    user, documents = body.get("userPrompt", ""), body.get("documents") or []
    if len(user) > 10_000 or sum(len(d) for d in documents) > 10_000:
        message = "The userPrompt or documents exceed the 10K characters limit."
        return JSONResponse({"error": {"code": "InvalidRequestBody", "message": message}}, 400)
    return JSONResponse(
        {
            "userPromptAnalysis": {"attackDetected": "AZ_JAILBREAK" in user},
            "documentsAnalysis": [{"attackDetected": "AZ_INJECT" in d} for d in documents],
        }
    )


def _moderation(text: str) -> dict[str, Any]:
    scores = dict.fromkeys(OPENAI_CATEGORIES, 0.001)
    if "OAI_VIOLENCE" in text:
        scores["violence"] = 0.95
    if "OAI_HARASS" in text:
        scores["harassment"] = 0.6
    if "OAI_LOW_SEXUAL" in text:
        scores["sexual"] = 0.3
    if "OAI_ILLICIT" in text:
        scores["illicit"] = 0.9
    return {
        "flagged": any(s >= 0.5 for s in scores.values()),
        "categories": {c: s >= 0.5 for c, s in scores.items()},
        "category_scores": scores,
        "category_applied_input_types": {c: ["text"] for c in OPENAI_CATEGORIES},
    }


def _guard(body: dict[str, Any]) -> dict[str, Any]:
    last = body["messages"][-1]["content"]
    codes = sorted(set(re.findall(r"LG_(S\d+)", last)), key=lambda c: int(c[1:]))
    reply = "unsafe\n" + ",".join(codes) if codes else "safe"
    return {
        "id": "chatcmpl-guard",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 200, "completion_tokens": 5, "total_tokens": 205},
    }
