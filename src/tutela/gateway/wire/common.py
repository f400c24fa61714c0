"""Shared base models and small helpers for the OpenAI wire formats."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    """Base of client requests: strict on types, lenient on unknown fields (as OpenAI is)."""

    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)

    def to_upstream(self) -> dict[str, Any]:
        """Return exactly what the client set (plus extras), ready to forward upstream."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class ResponseModel(BaseModel):
    """Base of responses: lax and open, because upstreams add and omit fields freely."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON-ready dict the gateway sends (``None`` fields dropped)."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)

    def to_json(self) -> str:
        """Return the compact JSON text the gateway sends."""
        return self.model_dump_json(exclude_none=True, by_alias=True)


def discriminate(key: str) -> Callable[[Any], str | None]:
    """Return a union discriminator yielding tags like ``type=text``.

    The ``=`` keeps tags distinguishable from field names in error locations,
    so error params read ``messages[0].content`` rather than ``messages[0].user.content``.
    """

    def tag(value: Any) -> str | None:
        raw = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
        return f"{key}={raw}" if isinstance(raw, str) else None

    # Pydantic names the discriminator after the function in "missing tag" errors.
    tag.__name__ = tag.__qualname__ = key
    return tag


def new_id(prefix: str) -> str:
    """Return a fresh OpenAI-style object id such as ``chatcmpl-…``."""
    return f"{prefix}-{secrets.token_urlsafe(18)}"


def now() -> int:
    """Return the current Unix time in whole seconds (the ``created`` field)."""
    return int(time.time())


def as_input_list(value: str | list[str] | list[int] | list[list[int]]) -> list[str] | list[list[int]]:
    """Normalise an OpenAI ``prompt``/``input`` to a list of strings or of token arrays."""
    if isinstance(value, str):
        return [value]
    strings = [v for v in value if isinstance(v, str)]
    if len(strings) == len(value):
        return strings
    tokens = [v for v in value if isinstance(v, int)]
    if len(tokens) == len(value):
        return [tokens]
    return [v for v in value if isinstance(v, list)]
