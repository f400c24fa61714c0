"""A loopback OpenAI-compatible LLM that answers Tutela's generation schemas from the passages it is sent.

A real HTTP server (uvicorn on 127.0.0.1) speaking `POST /v1/chat/completions`. It reads the source passages
out of the user message (the wire format the gateway itself parses) and answers each schema the way a
careful model would, every quote copied from a passage of the page it cites. Scripted misbehaviours, queued
per schema name and played one per request, make it answer the way real LLMs fail:

    bad_json        200, the message content is not JSON
    invented_quote  200, valid JSON whose citations quote text that is in no passage
    wrong_key       200, valid JSON whose fill-in-the-blank keys are not in their quotes (question sets)
    truncated       200, the JSON cut in half and finish_reason "length"
    refused         400 with code content_filter, as Azure OpenAI refuses a prompt
    too_long        400 with code context_length_exceeded, as OpenAI refuses a prompt over the context
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.server import serve
from tutela.gateway.wire.passages import Passage, parse_source

Misbehaviour = Literal["bad_json", "invented_quote", "wrong_key", "truncated", "refused", "too_long"]
FILTERED = "The response was filtered due to the prompt triggering Azure OpenAI's content management policy."
AZURE_DEPLOYMENT = "gpt-4o-prod"
INVENTED = "The committee approved the budget in a single afternoon."
_COUNT = re.compile(r"write exactly (\d+) quiz questions")
_ALL_TYPES = ["single_choice", "multiple_choice", "true_false", "fill_in_blank", "short_answer"]


def _sentences(passages: list[Passage]) -> list[tuple[int, str]]:
    """(page, sentence) pairs a model could quote: whole sentences of 40 to 240 characters."""
    found = []
    for p in passages:
        for piece in re.split(r"(?<=[.!?])\s+", p.text):
            sentence = " ".join(piece.split())
            if 40 <= len(sentence) <= 240 and sentence.endswith("."):
                found.append((p.page, sentence))
    return found


def _key_word(sentence: str) -> str:
    return max(re.findall(r"[A-Za-z]{4,}", sentence), key=len)


def _question(kind: str, page: int, sentence: str, n: int) -> dict[str, Any]:
    cite = {"page": page, "quote": sentence}
    word = _key_word(sentence)
    explanation = f"The source says: {sentence}"
    if kind == "fill_in_blank":
        stem = sentence.replace(word, "_____", 1)
        return {
            "type": kind,
            "stem": stem,
            "options": [],
            "answer": [word],
            "explanation": explanation,
            "citation": cite,
        }
    if kind == "single_choice":
        stem = sentence.replace(word, "_____", 1) + f" (item {n})"
        options = [word, "photosynthesis", "archipelago"]
        return {
            "type": kind,
            "stem": stem,
            "options": options,
            "answer": [word],
            "explanation": explanation,
            "citation": cite,
        }
    if kind == "multiple_choice":
        options = [sentence, f"Nothing in the source says item {n} is true."]
        stem = f"Which statements agree with the source? (item {n})"
        return {
            "type": kind,
            "stem": stem,
            "options": options,
            "answer": [sentence],
            "explanation": explanation,
            "citation": cite,
        }
    if kind == "true_false":
        return {
            "type": kind,
            "stem": sentence,
            "options": ["true", "false"],
            "answer": ["true"],
            "explanation": explanation,
            "citation": cite,
        }
    stem = f"What does the source say about {word.lower()}? (item {n})"
    return {
        "type": kind,
        "stem": stem,
        "options": [],
        "answer": [sentence],
        "explanation": explanation,
        "citation": cite,
    }


def _allowed_types(schema: dict[str, Any]) -> list[str]:
    question = schema.get("$defs", {}).get("Question", {})
    enum = question.get("properties", {}).get("type", {}).get("enum")
    return list(enum) if enum else _ALL_TYPES


def answer(name: str, schema: dict[str, Any], system: str, passages: list[Passage]) -> dict[str, Any]:
    """A well-behaved reply to one of Tutela's schemas, grounded in the passages."""
    sentences = _sentences(passages) or [(passages[0].page, " ".join(passages[0].text.split())[:200])]
    if name == "module_outline":
        sections: dict[str | None, list[int]] = {}
        for p in passages:
            sections.setdefault(p.section, []).append(p.page)
        chapters = [
            {
                "title": section or f"Pages {min(pages)}-{max(pages)}",
                "sources": [{"section": section, "first_page": min(pages), "last_page": max(pages)}],
            }
            for section, pages in sections.items()
        ]
        return {
            "title": "A course from the source",
            "learning_objectives": ["Explain the source."],
            "chapters": chapters,
        }
    if name == "lesson":
        paragraphs = [
            {"content": f"In short: {s}", "citations": [{"page": page, "quote": s}]}
            for page, s in sentences[:3]
        ]
        return {"title": passages[0].section or "Lesson", "paragraphs": paragraphs}
    if name == "summary":
        page, s = sentences[0]
        return {"content": f"The source explains that {s}", "citations": [{"page": page, "quote": s}]}
    if name == "question_set":
        m = _COUNT.search(system)
        count = int(m[1]) if m else 5
        types = _allowed_types(schema)
        questions = [
            _question(types[i % len(types)], *sentences[i % len(sentences)], n=i)
            for i in range(min(count, len(sentences)))
        ]
        return {"questions": questions}
    raise ValueError(name)


def _invent(value: Any) -> Any:
    """The same reply with every quote replaced by a sentence that is in no passage."""
    if isinstance(value, dict):
        out = {k: _invent(v) for k, v in value.items()}
        return out | {"quote": INVENTED} if "quote" in out else out
    if isinstance(value, list):
        return [_invent(v) for v in value]
    return value


def _wrong_keys(reply: dict[str, Any]) -> dict[str, Any]:
    questions = []
    for q in reply.get("questions", []):
        if q["type"] == "fill_in_blank":
            q = {**q, "answer": ["zeppelin"]}
        elif q["type"] == "single_choice":
            q = {**q, "options": [*q["options"], "zeppelin"], "answer": ["zeppelin"]}
        questions.append(q)
    return {"questions": questions}


class FakeLLM:
    """The server; `with FakeLLM.running() as llm:`; `llm.base_url` ends in /v1."""

    api_key = "sk-fake-llm-0123456789"

    def __init__(self) -> None:
        self.url = ""
        self.asked: list[str] = []  # the schema name of every authorised request, in order
        self.calls = 0  # every request, authorised or not
        self._queued: dict[tuple[str, str | None], deque[Misbehaviour]] = {}
        self._lock = threading.Lock()
        self.app = self._build_app()

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[FakeLLM]:
        """Serve on a free loopback port for the duration of the block."""
        llm = cls()
        with serve(llm.app) as url:
            llm.url = url
            yield llm

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def misbehave(self, schema: str, *plays: Misbehaviour, section: str | None = None) -> None:
        """Queue misbehaviours for the next requests naming `schema` (and, with `section`, whose passages
        belong to that section), one per request."""
        with self._lock:
            self._queued.setdefault((schema, section), deque()).extend(plays)

    def reset(self) -> None:
        with self._lock:
            self._queued.clear()
            self.asked.clear()
            self.calls = 0

    def _next(self, schema: str, sections: set[str | None]) -> Misbehaviour | None:
        with self._lock:
            self.asked.append(schema)
            for (name, section), queue in self._queued.items():
                if name == schema and queue and (section is None or section in sections):
                    return queue.popleft()
            return None

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> JSONResponse:
            with self._lock:
                self.calls += 1
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return _error(401, "Incorrect API key provided.", "invalid_api_key")
            return await self._answer(request)

        @app.post("/openai/deployments/{deployment}/chat/completions")
        async def azure_chat(deployment: str, request: Request) -> JSONResponse:
            with self._lock:
                self.calls += 1
            if request.headers.get("api-key") != self.api_key:
                return JSONResponse({"error": {"code": "401", "message": "Access denied."}}, status_code=401)
            if "api-version" not in request.query_params or deployment != AZURE_DEPLOYMENT:
                missing = {"error": {"code": "404", "message": "Resource not found"}}
                return JSONResponse(missing, status_code=404)
            return await self._answer(request)

        return app

    async def _answer(self, request: Request) -> JSONResponse:
        """One chat completion, as scripted."""
        body = await request.json()
        if body.get("stream"):
            return _error(400, "This fake answers whole completions only.", "unsupported")
        fmt = body.get("response_format") or {}
        spec = fmt.get("json_schema") or {}
        name = spec.get("name", "")
        messages = body.get("messages", [])
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        user = next((m["content"] for m in messages if m.get("role") == "user"), "")
        passages = parse_source(user).passages
        play = self._next(name, {p.section for p in passages})
        if play == "refused":
            return JSONResponse(
                {
                    "error": {
                        "message": FILTERED,
                        "type": None,
                        "param": "prompt",
                        "code": "content_filter",
                        "status": 400,
                    }
                },
                status_code=400,
            )
        if play == "too_long":
            message = "This model's maximum context length is 8192 tokens. Please reduce the length."
            return _error(400, message, "context_length_exceeded")
        reply = answer(name, spec.get("schema", {}), system, passages)
        finish = "stop"
        if play == "invented_quote":
            reply = _invent(reply)
        elif play == "wrong_key":
            reply = _wrong_keys(reply)
        content = json.dumps(reply)
        if play == "bad_json":
            content = "Sure! Here is the JSON you asked for: {title: lesson"
        elif play == "truncated":
            content, finish = content[: len(content) // 2], "length"
        return JSONResponse(_completion(body.get("model", ""), content, finish))


def _completion(model: str, content: str, finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake-llm",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model or "fake-llm",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}},
        status_code=status,
    )
