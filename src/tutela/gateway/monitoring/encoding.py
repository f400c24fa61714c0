"""How a monitored record's texts become bytes to seal, and back, whatever the texts hold.

Text reaching the gateway is not always valid Unicode: a JSON body may carry a lone surrogate
(`"\\ud800"`), which strict UTF-8 cannot encode, and prompts may hold NUL or run to megabytes. Such code
points are written with Python's `surrogatepass` (their three-byte form, as WTF-8 does) and read back the
same way, so every text round-trips exactly and no record is ever refused for what it says. Valid text is
plain UTF-8, byte for byte.

For a person (the reviewer's view), `displayable` shows each lone surrogate as its escape, e.g. `\\ud800`:
the one place the text is changed, and only on screen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable


def encode_content(*, prompt: Iterable[str], completion: Iterable[str]) -> bytes:
    """A record's texts as UTF-8 JSON (lone surrogates kept with `surrogatepass`)."""
    body = {"prompt": list(prompt), "completion": list(completion)}
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def decode_content(body: bytes) -> dict[str, list[str]]:
    """The texts `encode_content` wrote, exactly."""
    parsed: dict[str, list[str]] = json.loads(body.decode("utf-8", "surrogatepass"))
    return parsed


def displayable(text: str) -> str:
    """The text with every lone surrogate written as its `\\uXXXX` escape, so it can be sent as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
