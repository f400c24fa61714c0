"""Pulling the human-readable text out of gateway requests, responses and stream chunks (in memory only).

The pipeline calls these to fill `Exchange.prompt_texts` / `completion_texts` for the screen and the recorder;
nothing here stores or logs anything. Token-id prompts (lists of ints) have no text and are skipped.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any, Literal


def _parts(content: Any) -> list[str]:
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    texts: list[str] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            else:
                text = getattr(part, "text", None)
                if isinstance(text, str):
                    texts.append(text)
    return texts


def request_texts(request: Any) -> list[str]:
    """The texts a chat, completion or embedding request sends."""
    messages = getattr(request, "messages", None)
    if messages is not None:
        return [t for message in messages for t in _parts(getattr(message, "content", None))]
    for name in ("prompt", "input"):
        value = getattr(request, name, None)
        if value is not None:
            return [v for v in ([value] if isinstance(value, str) else value) if isinstance(v, str)]
    return []


def response_texts(response: Any) -> list[str]:
    """The texts of a whole chat or completion response, one per choice."""
    texts: list[str] = []
    for choice in getattr(response, "choices", None) or []:
        message = getattr(choice, "message", None)
        if message is not None:
            texts.extend(_parts(getattr(message, "content", None)))
        text = getattr(choice, "text", None)
        if isinstance(text, str):
            texts.append(text)
    return texts


def image_texts(
    images: Sequence[tuple[bytes, str]], *, revised_prompts: Sequence[str], kept: Literal["digest", "copy"]
) -> list[str]:
    """What monitoring seals of generated images: each one's SHA-256 digest, or the image itself as a data
    URL (as the operator configured), then the prompts the model says it really used."""
    texts = []
    for data, media_type in images:
        if kept == "copy":
            texts.append(f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}")
        else:
            texts.append(f"{media_type}, {len(data)} bytes, sha256:{hashlib.sha256(data).hexdigest()}")
    return texts + [f"revised prompt: {p}" for p in revised_prompts]


def usage_of(response: Any) -> dict[str, int]:
    """Token counts of a response, when it has them."""
    usage = getattr(response, "usage", None)
    if usage is None:
        return {}
    return {
        name: value
        for name in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(value := getattr(usage, name, None), int)
    }


class StreamText:
    """Accumulates the streamed text per choice index."""

    def __init__(self) -> None:
        self._parts: dict[int, list[str]] = {}

    def add(self, chunk: Any) -> None:
        """Take the text of one chunk."""
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            text = getattr(delta, "content", None) if delta is not None else getattr(choice, "text", None)
            if isinstance(text, str) and text:
                self._parts.setdefault(int(getattr(choice, "index", 0) or 0), []).append(text)

    def texts(self) -> list[str]:
        """One text per choice, in index order."""
        return ["".join(self._parts[i]) for i in sorted(self._parts)]
