"""What OpenAI and Azure OpenAI check in an uploaded file before accepting it, per purpose.

`fine-tune`: JSON Lines, one chat example per line (`{"messages": [...]}`), roles system / user /
assistant / tool, at least one assistant message per example, at least `MIN_EXAMPLES` examples, each
example at most `MAX_EXAMPLE_TOKENS` tokens (whitespace words, an upper bound of no tokenizer's count).
`batch`: JSON Lines of `{"custom_id", "method": "POST", "url", "body"}` with distinct custom ids.
`assistants`: any bytes. Every refusal names the line.
"""

from __future__ import annotations

import json
from typing import Any

from tutela.gateway.wire.exceptions import InvalidRequestError

PURPOSES = ("fine-tune", "batch", "assistants")
MIN_EXAMPLES = 10
MAX_EXAMPLE_TOKENS = 65_536
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_BATCH_URLS = frozenset({"/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/chat/completions"})


def _refuse(message: str) -> InvalidRequestError:
    return InvalidRequestError(message, param="file", code="invalid_file")


def _lines(data: bytes) -> list[tuple[int, Any]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(f"The file is not UTF-8 text (byte {exc.start}).") from None
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise _refuse(
                f"Line {number} is not valid JSON ({exc.msg}); a .jsonl file has one object a line."
            ) from None
    return out


def _check_example(number: int, example: Any) -> None:
    messages = example.get("messages") if isinstance(example, dict) else None
    if not isinstance(messages, list) or not messages:
        raise _refuse(f"Line {number}: an example needs a non-empty 'messages' list.")
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLES:
            raise _refuse(f"Line {number}: messages[{i}] has an invalid role {role!r}.")
        content = message.get("content")
        if role != "assistant" and not isinstance(content, str | list):
            raise _refuse(f"Line {number}: messages[{i}] needs a 'content'.")
    if not any(m.get("role") == "assistant" for m in messages):
        raise _refuse(f"Line {number}: an example needs at least one assistant message.")
    words = sum(len(json.dumps(m.get("content", ""), ensure_ascii=False).split()) for m in messages)
    if words > MAX_EXAMPLE_TOKENS:
        raise _refuse(f"Line {number}: the example is over the limit of {MAX_EXAMPLE_TOKENS} tokens.")


def _check_request(number: int, request: Any, seen: set[str]) -> None:
    if not isinstance(request, dict):
        raise _refuse(f"Line {number}: a batch request must be a JSON object.")
    custom_id = request.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise _refuse(f"Line {number}: 'custom_id' is missing.")
    if custom_id in seen:
        raise _refuse(f"Line {number}: the custom_id {custom_id!r} is used twice.")
    seen.add(custom_id)
    if request.get("method") != "POST" or request.get("url") not in _BATCH_URLS:
        raise _refuse(
            f"Line {number}: 'method' must be POST and 'url' one of {', '.join(sorted(_BATCH_URLS))}."
        )
    if not isinstance(request.get("body"), dict):
        raise _refuse(f"Line {number}: 'body' must be an object.")


def validate(purpose: str, data: bytes) -> None:
    """Refuse a file its purpose cannot use, naming the line."""
    if purpose not in PURPOSES:
        raise InvalidRequestError(
            f"Invalid purpose {purpose!r}; use one of {', '.join(PURPOSES)}.", param="purpose"
        )
    if not data:
        raise _refuse("The file is empty.")
    if purpose == "fine-tune":
        lines = _lines(data)
        for number, example in lines:
            _check_example(number, example)
        if len(lines) < MIN_EXAMPLES:
            raise _refuse(f"A fine-tuning file needs at least {MIN_EXAMPLES} examples; it has {len(lines)}.")
    elif purpose == "batch":
        seen: set[str] = set()
        for number, request in _lines(data):
            _check_request(number, request, seen)
