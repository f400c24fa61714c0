"""The gateway's cascade: the n-gram model decides what it is sure of; on the rest the encoder has a say.

Every text is scored by the n-gram model (`classifier.py`). A harm category whose n-gram score lands in
the uncertain band, `ESCALATE_FROM` <= band score < `ESCALATE_TO` on the shared band scale (low, medium,
high at 0.25, 0.5, 0.75), is re-scored by the encoder stage (`encoder.py`: int8 MiniLM and the per-category
heads); a text with no category in its band never reaches the encoder. Below the band the n-gram verdict
stands (so the encoder cannot raise ordinary text, book pages included), at or above it too (a clear hit
stays a hit).

The encoder sees only the most suspicious sentences. The n-gram window that scores highest on the
uncertain categories is cut into sentence windows of at most `SENTENCE_CHARS` characters, each is scored
by the n-gram model (about 0.1 ms each), and the `ENCODED_WINDOWS` highest are encoded (a mean-pooled
vector of a long window dilutes one harmful sentence among ordinary ones, and the encoder's cost grows
with its word pieces). An escalated category then takes the encoder's band score (the maximum over the
taxonomy categories that grade it, `taxonomy.GATEWAY`) mapped back onto the n-gram model's raw scale, so
scores and severities read the same whichever stage decided. Figures: `benchmarks/bench_safety.py`,
`scripts/safety_cascade_eval.py`; nothing is kept between calls.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from tutela.gateway.safety.encoder import BAND_POINTS, HEAD_CATEGORIES, WINDOW_CHARS
from tutela.gateway.safety.taxonomy import GATEWAY

# The uncertain band on the shared band scale (see the module docstring and the model card).
ESCALATE_FROM = 0.45
ESCALATE_TO = BAND_POINTS[2]
SENTENCE_CHARS = 200  # sentences are packed into encoder windows up to this length
ENCODED_WINDOWS = 2  # encoder windows per escalated text at most
_BELOW_HIGH = float(np.nextafter(BAND_POINTS[2], 0.0))
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")

Floats = npt.NDArray[np.float64]


def uncertain(bands: Floats, harm_indices: list[int]) -> list[int]:
    """Indices (into `harm_indices`' categories) whose band score lies in the uncertain band."""
    return [i for i in harm_indices if ESCALATE_FROM <= bands[i] < ESCALATE_TO]


def sentence_windows(chunk: str) -> list[str]:
    """The encoder's windows over one n-gram window: its sentences, packed up to SENTENCE_CHARS."""
    windows: list[str] = []
    current = ""
    for sentence in _SENTENCE_BREAK.split(chunk):
        sentence = sentence.strip()
        if not sentence:
            continue
        if current and len(current) + 1 + len(sentence) > SENTENCE_CHARS:
            windows.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
    if current or not windows:
        windows.append(current)
    return [w[:WINDOW_CHARS] for w in windows]


def gateway_scores(heads: Floats) -> dict[str, float]:
    """The encoder's band score per gateway harm category, from one row of head scores."""
    return {
        cat: float(max(heads[HEAD_CATEGORIES.index(t)] for t in members)) for cat, members in GATEWAY.items()
    }


def combine(ngram_band: float, encoder_band: float) -> float:
    """The escalated category's band score: the n-gram model weighs twice the encoder, and the result
    stays below high (high is the n-gram model's own sure verdict; the encoder rated some ordinary sad or
    stressed prompts self-harm high)."""
    return min((2.0 * ngram_band + encoder_band) / 3.0, _BELOW_HIGH)


def to_raw(band: float, knots: tuple[list[float], list[float]]) -> float:
    """A band-scale score mapped back onto a category's raw n-gram scale (the inverse of its knots)."""
    xs, ys = knots
    return float(np.interp(band, ys, xs))
