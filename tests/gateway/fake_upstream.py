"""A fake OpenAI / Azure OpenAI upstream: a real HTTP server on loopback with switchable faults.

It speaks the real wire protocol (JSON bodies, SSE streams ending in ``[DONE]``,
Azure's deployment paths, ``api-version`` and ``api-key``), records every request,
and plays queued ``Fault``s one per request before answering normally again.

Image generation answers real PNGs (one colour per prompt) as ``b64_json`` or ``url``; a prompt containing
``UPSTREAM_REFUSES`` is refused as the service's own safety system does: Azure with
``content_policy_violation`` and ``inner_error.content_filter_results``, OpenAI with the bare code.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.support.server import serve

FaultKind = Literal[
    "status",  # answer with `status`, `body` and `headers`
    "slow",  # wait `delay` seconds before answering at all
    "stall",  # stream: send `after` chunks, then go silent for `delay` seconds
    "die",  # stream: send `after` chunks, then drop the connection
    "bad_json",  # non-stream: 200 with a body that is not JSON; stream: an event that is not JSON
    "bad_shape",  # 200 with JSON that is not an OpenAI object
    "error_event",  # stream: send `after` chunks, then an OpenAI error event
    "no_done",  # stream: send `after` chunks, then close cleanly with no finish_reason or [DONE]
    "json_for_stream",  # stream: answer 200 application/json with an error body instead of SSE
]


UPSTREAM_REFUSES = "upstream-refuses-this"
_ERROR = {"error": {"message": "The server had an error processing your request.", "type": "server_error"}}
_ERROR_EVENT = f"data: {json.dumps(_ERROR)}\n\n".encode()


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, consumed by the next request."""

    kind: FaultKind
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: int = 2

    @classmethod
    def http(cls, status: int, body: Any = None, **headers: str) -> Fault:
        """An error status; ``{key}`` in a string body becomes the caller's credential."""
        return cls(
            "status", status=status, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )

    @classmethod
    def rate_limited(cls, retry_after: str | None = "0") -> Fault:
        """429 with OpenAI's body and optional Retry-After."""
        body = {
            "error": {
                "message": "Rate limit reached for org-secret123",
                "type": "requests",
                "code": "rate_limit_exceeded",
            }
        }
        return cls(
            "status", status=429, body=body, headers={"retry-after": retry_after} if retry_after else {}
        )


@dataclass
class Recorded:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


def _words(text: str) -> list[str]:
    parts = text.split(" ")
    return [p if i == len(parts) - 1 else p + " " for i, p in enumerate(parts)]


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            return "".join(p.get("text", "") for p in content if p.get("type") == "text")
    return ""


def _vector(text: str, dims: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest() * (dims // 32 + 1)
    return [round((b - 128) / 128, 4) for b in digest[:dims]]


class FakeUpstream:
    """The server; use ``with FakeUpstream.running() as fake:``; ``fake.base_url`` is ``…/v1``."""

    def __init__(
        self, *, api_key: str = "sk-fake-upstream-key-0123456789", deployments: tuple[str, ...] = ("gpt-4o",)
    ):
        self.api_key = api_key
        self.deployments = deployments
        self.url = ""
        self.requests: list[Recorded] = []
        self.chunk_delay = 0.0
        self.reply: str | None = None  # when set, chat and completions answer this instead of the echo
        self.image_side = 0  # when set, images are noise squares of this many pixels a side (benchmarks)
        self.fragment: int | None = None  # when set, text is sent in pieces of this many characters
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.app = self._build_app()

    @classmethod
    @contextmanager
    def running(cls, **kwargs: Any) -> Iterator[FakeUpstream]:
        """Start the server on a free loopback port for the duration of the block."""
        fake = cls(**kwargs)
        with serve(fake.app) as url:
            fake.url = url
            yield fake

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (with ``/v1``)."""
        return f"{self.url}/v1"

    def fail(self, *faults: Fault) -> None:
        """Queue faults; each following request consumes one, then the fake answers normally."""
        with self._lock:
            self._faults.extend(faults)

    def reset(self) -> None:
        """Forget faults, recorded requests and delays."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()
        self.chunk_delay = 0.0
        self.fragment = None

    @property
    def pending_faults(self) -> int:
        """Faults not yet consumed."""
        return len(self._faults)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/v1/models")
        async def models() -> dict[str, Any]:
            return {
                "object": "list",
                "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}],
            }

        @app.post("/v1/{operation:path}")
        async def openai(operation: str, request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                given = auth.removeprefix("Bearer ")
                return _error(401, f"Incorrect API key provided: {given}.", "invalid_api_key")
            return await self._answer(request, operation, azure=False)

        @app.post("/openai/deployments/{deployment}/{operation:path}")
        async def azure(deployment: str, operation: str, request: Request) -> Response:
            if request.headers.get("api-key") != self.api_key:
                return JSONResponse(
                    {
                        "error": {
                            "code": "401",
                            "message": "Access denied due to invalid subscription key or wrong API endpoint.",
                        }
                    },
                    status_code=401,
                )
            if "api-version" not in request.query_params:
                return JSONResponse(
                    {"error": {"code": "404", "message": "Resource not found"}}, status_code=404
                )
            if deployment not in self.deployments:
                return JSONResponse(
                    {
                        "error": {
                            "code": "DeploymentNotFound",
                            "message": "The API deployment for this resource does not exist.",
                        }
                    },
                    status_code=404,
                )
            return await self._answer(request, operation, azure=True)

        return app

    async def _answer(self, request: Request, operation: str, *, azure: bool) -> Response:
        audio = operation == "audio/transcriptions"
        body = await _form(request) if audio else await request.json()
        with self._lock:
            self.requests.append(
                Recorded(
                    request.method, request.url.path, dict(request.query_params), dict(request.headers), body
                )
            )
        fault = self._next_fault()
        given_key = request.headers.get("api-key") or request.headers.get("authorization", "").removeprefix(
            "Bearer "
        )
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == "status":
            payload = (
                fault.body
                if fault.body is not None
                else {"error": {"message": "boom", "type": "server_error"}}
            )
            text = json.dumps(payload) if not isinstance(payload, str) else payload
            return Response(
                text.replace("{key}", given_key),
                status_code=fault.status,
                headers=fault.headers,
                media_type="application/json",
            )
        if fault is not None and fault.kind == "bad_shape":
            return JSONResponse([1, 2, 3])
        stream = bool(body.get("stream"))
        if fault is not None and fault.kind == "bad_json" and not stream:
            return Response('{"id": "x", "choices": [', media_type="application/json")
        if stream and fault is not None and fault.kind == "json_for_stream":
            return JSONResponse({"error": {"message": "model is loading", "type": "server_error"}})
        if audio:
            return self._transcription(body)
        if operation == "embeddings":
            return JSONResponse(self._embeddings(body))
        if operation == "images/generations":
            return _images(body, azure=azure, noise_side=self.image_side)
        if operation == "chat/completions":
            chunks = self._chat_chunks(body, azure=azure)
        elif operation == "completions":
            chunks = self._completion_chunks(body)
        else:
            return _error(404, f"Unknown operation {operation}", "unknown_url")
        if not stream:
            return JSONResponse(_fold(chunks, chat=operation == "chat/completions"))
        return StreamingResponse(self._sse(chunks, fault), media_type="text/event-stream")

    async def _sse(self, chunks: list[dict[str, Any]], fault: Fault | None) -> AsyncIterator[bytes]:
        kind = fault.kind if fault is not None else None
        for i, chunk in enumerate(chunks):
            if fault is not None and i == fault.after:
                if kind == "die":
                    raise ConnectionAbortedError("fake upstream dies mid-stream")
                if kind == "stall":
                    await asyncio.sleep(fault.delay)
                if kind == "error_event":
                    yield _ERROR_EVENT
                    return
                if kind == "no_done":
                    return
                if kind == "bad_json":
                    yield b"data: {not json\n\n"
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            yield f"data: {json.dumps(chunk)}\n\n".encode()
            if i == 0:
                yield b": keep-alive comment\n\n"
        yield b"data: [DONE]\n\n"

    def _pieces(self, text: str) -> list[str]:
        if self.fragment is None:
            return _words(text)
        return [text[i : i + self.fragment] for i in range(0, len(text), self.fragment)]

    def _chat_chunks(self, body: dict[str, Any], *, azure: bool) -> list[dict[str, Any]]:
        n = body.get("n") or 1
        head = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "fake-model-2024",
        }
        prompt = _last_user_text(body.get("messages", []))
        out: list[dict[str, Any]] = []
        if azure:
            out.append(
                {
                    "id": "",
                    "object": "",
                    "created": 0,
                    "model": "",
                    "choices": [],
                    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
                }
            )

        def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
            if azure:
                choice["content_filter_results"] = {"hate": {"filtered": False, "severity": "safe"}}
            return {**head, "choices": [choice]}

        tools = body.get("tools")
        for index in range(n):
            out.append(chunk(index, {"role": "assistant", "content": ""}))
        if tools and body.get("tool_choice") != "none":
            name = tools[0]["function"]["name"]
            out.append(
                chunk(
                    0,
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": name, "arguments": ""},
                            }
                        ]
                    },
                )
            )
            out.append(chunk(0, {"tool_calls": [{"index": 0, "function": {"arguments": '{"q": '}}]}))
            out.append(
                chunk(0, {"tool_calls": [{"index": 0, "function": {"arguments": json.dumps(prompt) + "}"}}]})
            )
            out.append(chunk(0, {}, "tool_calls"))
            completion_tokens = 5
        else:
            words = self._pieces(self.reply if self.reply is not None else f"echo: {prompt}")
            for word in words:
                for index in range(n):
                    out.append(chunk(index, {"content": word}))
            for index in range(n):
                out.append(chunk(index, {}, "stop"))
            completion_tokens = len(words) * n
        if (body.get("stream_options") or {}).get("include_usage") or not body.get("stream"):
            prompt_tokens = len(prompt.split())
            out.append(
                {
                    **head,
                    "choices": [],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                }
            )
        return out

    def _completion_chunks(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        head = {
            "id": "cmpl-fake",
            "object": "text_completion",
            "created": int(time.time()),
            "model": "fake-model-2024",
        }
        prompt = body["prompt"] if isinstance(body["prompt"], str) else json.dumps(body["prompt"])
        words = self._pieces(self.reply if self.reply is not None else f"echo: {prompt}")
        out = [
            {**head, "choices": [{"index": 0, "text": w, "logprobs": None, "finish_reason": None}]}
            for w in words
        ]
        out.append({**head, "choices": [{"index": 0, "text": "", "logprobs": None, "finish_reason": "stop"}]})
        out.append(
            {
                **head,
                "choices": [],
                "usage": {
                    "prompt_tokens": 1,
                    "completion_tokens": len(words),
                    "total_tokens": 1 + len(words),
                },
            }
        )
        return out

    def _transcription(self, form: dict[str, Any]) -> Response:
        """As OpenAI's whisper-1 answers: the text is `reply` (or names the audio's size and hash)."""
        name = form.get("filename") or ""
        if not name.lower().endswith(_AUDIO_SUFFIXES):
            return _error(400, f"Invalid file format. Supported formats: {list(_AUDIO_SUFFIXES)}", "")
        text = self.reply if self.reply is not None else f"heard {form['size']} bytes {form['sha256'][:8]}"
        fmt = form.get("response_format", "json")
        if fmt == "text":
            return Response(text + "\n", media_type="text/plain")
        if fmt != "verbose_json":
            return JSONResponse({"text": text, "usage": {"type": "duration", "seconds": 3}})
        words = text.split()
        body: dict[str, Any] = {
            "task": "transcribe",
            "language": form.get("language") or "english",
            "duration": float(len(words)),
            "text": text,
            "segments": [
                {"id": 0, "seek": 0, "start": 0.0, "end": float(len(words)), "text": " " + text, "tokens": []}
            ],
        }
        if "word" in form.get("timestamp_granularities[]", []):
            body["words"] = [{"word": w, "start": float(i), "end": float(i + 1)} for i, w in enumerate(words)]
        return JSONResponse(body)

    def _embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = body["input"]
        inputs = [raw] if isinstance(raw, str) else raw
        if inputs and isinstance(inputs[0], int):
            inputs = [inputs]
        dims = body.get("dimensions") or 8
        data = []
        for i, item in enumerate(inputs):
            vec = _vector(item if isinstance(item, str) else json.dumps(item), dims)
            emb: Any = vec
            if body.get("encoding_format") == "base64":
                emb = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(len(str(x).split()) for x in inputs)
        return {
            "object": "list",
            "data": data,
            "model": "fake-embed",
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid one-colour PNG."""
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def prompt_png(prompt: str) -> bytes:
    """The image the fake draws for a prompt: 16x16 pixels of a colour taken from the prompt's hash."""
    digest = hashlib.sha256(prompt.encode()).digest()
    return png(16, 16, (digest[0], digest[1], digest[2]))


def noisy_png(side: int) -> bytes:
    """A square of seeded noise: compresses as badly as a photograph (about 3 bytes a pixel)."""
    pixels = random.Random(side).randbytes(side * side * 3)
    raw = b"".join(b"\x00" + pixels[row * side * 3 : (row + 1) * side * 3] for row in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 1))
        + _chunk(b"IEND", b"")
    )


def _images(body: dict[str, Any], *, azure: bool, noise_side: int) -> JSONResponse:
    prompt = str(body.get("prompt", ""))
    if UPSTREAM_REFUSES in prompt:
        if azure:
            results = {
                "hate": {"filtered": False, "severity": "safe"},
                "self_harm": {"filtered": False, "severity": "safe"},
                "sexual": {"filtered": False, "severity": "safe"},
                "violence": {"filtered": True, "severity": "high"},
            }
            error = {
                "code": "content_policy_violation",
                "inner_error": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_results": results,
                    "revised_prompt": prompt,
                },
                "message": "Your request was rejected as a result of our safety system.",
                "type": "invalid_request_error",
            }
        else:
            error = {
                "code": "content_policy_violation",
                "message": "Your request was rejected as a result of our safety system.",
                "param": None,
                "type": "invalid_request_error",
            }
        return JSONResponse({"error": error}, status_code=400)
    picture = noisy_png(noise_side) if noise_side else prompt_png(prompt)
    image = base64.b64encode(picture).decode()
    items = []
    for _ in range(body.get("n") or 1):
        item: dict[str, Any] = {"revised_prompt": f"A picture of {prompt}"}
        if body.get("response_format") == "b64_json":
            item["b64_json"] = image
        else:
            item["url"] = "https://upstream.invalid/images/1.png"
        if azure:
            item["content_filter_results"] = {"violence": {"filtered": False, "severity": "safe"}}
        items.append(item)
    return JSONResponse({"created": int(time.time()), "data": items})


_AUDIO_SUFFIXES = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")


async def _form(request: Request) -> dict[str, Any]:
    """A transcription form as the fake records it: text fields, and the file's name, size and hash."""
    form = await request.form()
    out: dict[str, Any] = {"timestamp_granularities[]": form.getlist("timestamp_granularities[]")}
    for name, value in form.multi_items():
        if name == "timestamp_granularities[]":
            continue
        if isinstance(value, str):
            out[name] = value
        else:
            data = await value.read()
            out |= {
                "filename": value.filename,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "content_type": value.content_type,
            }
    return out


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}},
        status_code=status,
    )


def _fold(chunks: list[dict[str, Any]], *, chat: bool) -> dict[str, Any]:
    """The non-streamed answer, folded from the same chunks the stream would send."""
    head = next(c for c in chunks if c["choices"])
    choices: dict[int, dict[str, Any]] = {}
    usage = None
    for c in chunks:
        usage = c.get("usage") or usage
        for ch in c["choices"]:
            slot = choices.setdefault(
                ch["index"], {"index": ch["index"], "text": "", "tools": {}, "finish": None}
            )
            slot["finish"] = ch["finish_reason"] or slot["finish"]
            if chat:
                slot["text"] += ch["delta"].get("content") or ""
                for call in ch["delta"].get("tool_calls") or []:
                    t = slot["tools"].setdefault(
                        call["index"],
                        {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                    )
                    t["id"] = call.get("id") or t["id"]
                    t["function"]["name"] += call.get("function", {}).get("name") or ""
                    t["function"]["arguments"] += call.get("function", {}).get("arguments") or ""
            else:
                slot["text"] += ch["text"]
    out_choices = []
    for slot in choices.values():
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": slot["text"] or None, "refusal": None}
            if slot["tools"]:
                message["tool_calls"] = list(slot["tools"].values())
            out_choices.append(
                {
                    "index": slot["index"],
                    "message": message,
                    "logprobs": None,
                    "finish_reason": slot["finish"],
                }
            )
        else:
            out_choices.append(
                {
                    "index": slot["index"],
                    "text": slot["text"],
                    "logprobs": None,
                    "finish_reason": slot["finish"],
                }
            )
    return {
        "id": head["id"] or "chatcmpl-fake",
        "object": "chat.completion" if chat else "text_completion",
        "created": head["created"],
        "model": head["model"] or "fake-model-2024",
        "choices": out_choices,
        "usage": usage,
    }
