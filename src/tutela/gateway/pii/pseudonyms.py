"""One request's reversible mapping between detected values and typed placeholders.

The mapping itself lives in the request's vault (vault.py), sealed under a key that goes when the request
ends; nothing of it is logged, stored or shared. The same value gets the same placeholder everywhere in the
request (``<EMAIL_1>`` in the system message and in the third user turn), so the model can still tell who
is who.
"""

from __future__ import annotations

import re

from tutela.gateway.pii.detectors import DETECTORS, Detector, Kind, find
from tutela.gateway.pii.vault import Vault

PLACEHOLDER = re.compile(r"<(" + "|".join(k.value for k in Kind) + r")_(\d{1,6})>")
# The longest text a placeholder can span (``<EMAIL_999999>``): how much a stream ever holds back.
_LONGEST = max(len(k.value) for k in Kind)
MAX_PLACEHOLDER = _LONGEST + 9
# A text end that may be the start of a placeholder the next chunk completes.
_PARTIAL = re.compile(rf"<(?:[A-Z_]{{0,{_LONGEST}}}|(?:{'|'.join(k.value for k in Kind)})_\d{{0,6}})$")


def _key(kind: Kind, value: str) -> str:
    if kind is Kind.EMAIL:
        return value.lower()
    if kind is Kind.IBAN:
        return value.replace(" ", "")
    if kind is Kind.PERSON:
        return " ".join(value.split()).casefold()
    if kind is Kind.NATIONAL_ID:
        return "".join(c for c in value if c.isalnum()).upper()
    return "".join(c for c in value if c.isdigit() or c == "+")


class Pseudonyms:
    """Placeholders out, values back, for one request, the mapping kept in the request's vault."""

    def __init__(self, vault: Vault, detectors: tuple[Detector, ...] = DETECTORS) -> None:
        self._vault = vault
        self._detectors = detectors
        self._counts: dict[Kind, int] = {}

    def __len__(self) -> int:
        return len(self._vault)

    def pseudonymise(self, text: str) -> str:
        """``text`` with every detected value replaced by its placeholder."""
        self._vault.ensure_open()
        findings = find(text, self._detectors)
        if not findings:
            return text
        parts, last = [], 0
        for f in findings:
            parts.append(text[last : f.start])
            parts.append(self._placeholder(f.kind, text[f.start : f.end]))
            last = f.end
        parts.append(text[last:])
        return "".join(parts)

    def restore(self, text: str) -> str:
        """``text`` with this request's placeholders put back; unknown ones are left as they are."""
        self._vault.ensure_open()
        if not self._counts or "<" not in text:
            return text
        return PLACEHOLDER.sub(self._value, text)

    def _value(self, match: re.Match[str]) -> str:
        value = self._vault.open(match.group())
        return match.group() if value is None else value

    def _placeholder(self, kind: Kind, value: str) -> str:
        identity = f"{kind.value}:{_key(kind, value)}"
        placeholder = self._vault.placeholder_for(identity)
        if placeholder is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            placeholder = f"<{kind.value}_{self._counts[kind]}>"
            self._vault.keep(identity, placeholder, value)
        return placeholder


class StreamRestorer:
    """Restores one streamed text (a choice's content, a tool call's arguments) piece by piece.

    A placeholder may arrive split across chunks (``<EMA`` then ``IL_1>``): a text end that could begin one
    is held back, at most ``MAX_PLACEHOLDER`` characters, until the next piece or ``flush``.
    """

    def __init__(self, pseudonyms: Pseudonyms) -> None:
        self._pseudonyms = pseudonyms
        self._held = ""

    def feed(self, piece: str) -> str:
        """What can be sent of the text so far, restored."""
        text = self._held + piece
        partial = _PARTIAL.search(text, max(0, len(text) - MAX_PLACEHOLDER))
        cut = partial.start() if partial is not None else len(text)
        self._held = text[cut:]
        return self._pseudonyms.restore(text[:cut])

    def flush(self) -> str:
        """Whatever was held back (the text ended)."""
        held, self._held = self._held, ""
        return held
