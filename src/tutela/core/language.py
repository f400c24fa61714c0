"""Detecting a document's language with py3langid, whose model ships inside its wheel."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

# Enough text for a stable answer; the model's cost grows with length.
_SAMPLE_CHARS = 6000
_MIN_LETTERS = 3
_MIN_CONFIDENCE = 0.5
# py3langid labels a few languages with ISO 639-3 codes; these are the ones with an ISO 639-1 parent.
_TO_ISO_639_1 = {"ary": "ar", "arz": "ar", "yue": "zh", "wuu": "zh", "gug": "gn", "uzs": "uz", "ext": "es"}
_ISO_639_1 = re.compile(r"^[a-z]{2}$")


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_language_model() -> None:
    """Load the language model now (it is loaded once per process, on first use, in a second or two)."""
    _identifier()


def sample_text(texts: Iterable[str], limit: int = _SAMPLE_CHARS) -> str:
    """The first `limit` characters of the given texts, joined."""
    parts: list[str] = []
    total = 0
    for text in texts:
        parts.append(text)
        total += len(text) + 1
        if total >= limit:
            break
    return " ".join(parts)[:limit]


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "und" when there is too little text or no clear answer."""
    if sum(char.isalpha() for char in text) < _MIN_LETTERS:
        return "und"
    # Regional variants (Moroccan and Egyptian Arabic next to Arabic) split the vote; add them up per code.
    votes: dict[str, float] = {}
    for label, probability in _identifier().rank(text):
        code = _TO_ISO_639_1.get(str(label), str(label))
        votes[code] = votes.get(code, 0.0) + float(probability)
    code, confidence = max(votes.items(), key=lambda vote: vote[1])
    if confidence < _MIN_CONFIDENCE or not _ISO_639_1.match(code):
        return "und"
    return code
