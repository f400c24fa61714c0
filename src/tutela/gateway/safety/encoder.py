"""The encoder stage of the safety classifier: all-MiniLM-L6-v2 sentence vectors and one head per category.

The encoder is the MiniLM model the extractive provider already ships, in its int8 variant on one
thread (`providers/extractive/embeddings.py`: built at load from the hash-verified float weights, the
int8 bytes checked against their own digest). Its heads are small: one logistic
regression per category of OpenAI's moderation taxonomy (`taxonomy.py`) over the 384-dimensional
vector, then a per-category Platt scaling fitted on a held-out calibration fold with both classes
weighted equally, so every category's probability means the same thing. Heads and thresholds are
written by `scripts/train_safety_encoder.py` into `model/encoder_heads.npz` and `model/encoder.json`
(which records the heads' SHA-256; a mismatch refuses to load).

Scores are reported on one severity scale: each category's probability is mapped piecewise-linearly so
that its calibrated low, medium and high thresholds land on 0.25, 0.5 and 0.75. A category is "medium"
exactly when its score is at least 0.5, whatever the category, so the maximum over categories ranks
"any unsafe" and `flagged` follows the bands. Sub-categories are not forced below or above their parent
(raising a parent to its sub-categories lowered held-out AUPRC for sexual and violence).

A last head, `jailbreak`, confirms the n-gram jailbreak detector: long prose (a pasted book page) looks
like a long jailbreak template to n-grams, not to the encoder.

A category without enough labelled data for its own head is *derived* (recorded in `encoder.json`):
its probability is the product of its parent's and of a related head's (see `DERIVED`), so it is never
a copy of the parent. The stage is stateless: texts in, scores out, nothing kept.
"""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from tutela.gateway.safety.exceptions import SafetyModelError
from tutela.gateway.safety.taxonomy import TAXONOMY

# One head per taxonomy category, and one that confirms the n-gram jailbreak detector (see classifier.py).
HEAD_CATEGORIES: tuple[str, ...] = (*TAXONOMY, "jailbreak")

HEADS_FILE = "encoder_heads.npz"
ENCODER_META_FILE = "encoder.json"
ENCODER_FORMAT = 1
# MiniLM sees at most 256 word pieces, about 1,000 characters of English.
WINDOW_CHARS = 1000
BAND_POINTS = (0.25, 0.5, 0.75)  # where low, medium and high land on the reported scale
SEVERITY_LEVELS = ("low", "medium", "high")
# Derived category -> the head multiplied with its parent's probability.
DERIVED: dict[str, str] = {
    "self-harm/instructions": "illicit",
    "violence/graphic": "violence",
}

Floats = npt.NDArray[np.float64]


class _Embedder(Protocol):
    """What the stage needs from the MiniLM embedder (an (n, 384) array of unit vectors)."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


@dataclass(frozen=True, slots=True)
class EncoderHeads:
    """Per-category heads over MiniLM vectors, their calibration and severity thresholds."""

    weights: Floats  # (384, n_heads)
    bias: Floats  # (n_heads,)
    platt_a: Floats  # (n_heads,)
    platt_b: Floats  # (n_heads,)
    thresholds: Floats  # (n_heads, 3) probabilities of low, medium, high
    derived: tuple[str, ...]
    max_windows: int  # encoder windows per text at most (/v1/moderations)

    def probabilities(self, vectors: npt.NDArray[np.float32]) -> Floats:
        """Calibrated probabilities, shape (n, len(HEAD_CATEGORIES))."""
        logits = vectors.astype(np.float64) @ self.weights + self.bias
        probs = 1.0 / (1.0 + np.exp(-(self.platt_a * logits + self.platt_b)))
        for cat in self.derived:
            k = HEAD_CATEGORIES.index(cat)
            parent = HEAD_CATEGORIES.index(cat.split("/")[0])
            related = HEAD_CATEGORIES.index(DERIVED[cat])
            probs[:, k] = probs[:, parent] * probs[:, related]
        return np.asarray(probs, dtype=np.float64)

    def banded(self, probs: Floats) -> Floats:
        """Probabilities mapped onto the shared severity scale (see the module docstring)."""
        out = np.empty_like(probs)
        xs_points = (0.0, *BAND_POINTS, 1.0)
        for k in range(probs.shape[1]):
            low, medium, high = self.thresholds[k]
            out[:, k] = np.interp(probs[:, k], (0.0, low, medium, high, 1.0), xs_points)
        return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_heads(directory: Path, heads: EncoderHeads, extra_meta: dict[str, Any]) -> None:
    """Write the heads (.npz) and their metadata with the heads' digest."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / HEADS_FILE
    np.savez_compressed(
        path,
        weights=heads.weights.astype(np.float32),
        bias=heads.bias.astype(np.float32),
        platt_a=heads.platt_a.astype(np.float32),
        platt_b=heads.platt_b.astype(np.float32),
    )
    meta = {
        "format_version": ENCODER_FORMAT,
        "heads": list(HEAD_CATEGORIES),
        "heads_sha256": _sha256(path),
        "thresholds": {
            cat: dict(zip(SEVERITY_LEVELS, map(float, heads.thresholds[k]), strict=True))
            for k, cat in enumerate(HEAD_CATEGORIES)
        },
        "derived": {cat: f"p({cat.split('/')[0]}) * p({DERIVED[cat]})" for cat in heads.derived},
        "max_windows": heads.max_windows,
        **extra_meta,
    }
    (directory / ENCODER_META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", "utf-8")


def _thresholds(meta: dict[str, Any]) -> Floats:
    raw = meta.get("thresholds")
    if not isinstance(raw, dict):
        raise SafetyModelError("encoder metadata lacks thresholds")
    rows = []
    for cat in HEAD_CATEGORIES:
        levels = raw.get(cat)
        if not isinstance(levels, dict) or any(lv not in levels for lv in SEVERITY_LEVELS):
            raise SafetyModelError(f"encoder thresholds for {cat!r} are incomplete")
        values = [float(levels[lv]) for lv in SEVERITY_LEVELS]
        if not 0.0 < values[0] < values[1] < values[2] < 1.0:
            raise SafetyModelError(f"encoder thresholds for {cat!r} are not increasing inside (0, 1)")
        rows.append(values)
    return np.asarray(rows, dtype=np.float64)


def load_heads(directory: Path) -> EncoderHeads:
    """Load and verify the heads in `directory`; raise SafetyModelError on any defect."""
    meta_path, path = directory / ENCODER_META_FILE, directory / HEADS_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SafetyModelError(f"encoder metadata not found at {meta_path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetyModelError(f"encoder metadata at {meta_path} is unreadable: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format_version") != ENCODER_FORMAT:
        raise SafetyModelError(f"unsupported encoder format in {meta_path}")
    if meta.get("heads") != list(HEAD_CATEGORIES):
        raise SafetyModelError("encoder categories do not match this version of Tutela")
    if not path.is_file():
        raise SafetyModelError(f"encoder heads not found at {path}")
    if _sha256(path) != meta.get("heads_sha256"):
        raise SafetyModelError(f"encoder heads at {path} are corrupted (checksum mismatch)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = [np.asarray(npz[k], dtype=np.float64) for k in ("weights", "bias", "platt_a", "platt_b")]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SafetyModelError(f"encoder heads at {path} are unreadable: {exc}") from exc
    weights, bias, platt_a, platt_b = arrays
    n = len(HEAD_CATEGORIES)
    if weights.shape[1:] != (n,) or any(a.shape != (n,) for a in (bias, platt_a, platt_b)):
        raise SafetyModelError("encoder head shapes do not match its categories")
    if not all(np.isfinite(a).all() for a in arrays):
        raise SafetyModelError("encoder heads contain non-finite values")
    derived = tuple(meta.get("derived", {}))
    if any(cat not in DERIVED for cat in derived):
        raise SafetyModelError("encoder metadata derives a category this version cannot derive")
    max_windows = meta.get("max_windows")
    if not isinstance(max_windows, int) or max_windows < 1:
        raise SafetyModelError("encoder metadata lacks a valid window limit")
    return EncoderHeads(weights, bias, platt_a, platt_b, _thresholds(meta), derived, max_windows)


class EncoderStage:
    """MiniLM plus heads; immutable after construction, so safe to share across threads."""

    _cache: ClassVar[dict[Path, EncoderStage]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, heads: EncoderHeads, embedder: _Embedder) -> None:
        self.heads = heads
        self._embedder = embedder

    @classmethod
    def load(cls, directory: Path) -> EncoderStage:
        """The stage for the model in `directory` (cached); the encoder is loaded and verified once."""
        from tutela.gateway.providers.extractive.embeddings import Embedder
        from tutela.gateway.providers.extractive.exceptions import (
            EmbeddingModelIntegrityError,
            EmbeddingModelUnavailable,
        )

        path = directory.resolve()
        with cls._lock:
            cached = cls._cache.get(path)
            if cached is None:
                heads = load_heads(path)
                try:
                    embedder = Embedder.load(quantized=True)
                except (EmbeddingModelUnavailable, EmbeddingModelIntegrityError) as exc:
                    raise SafetyModelError(f"the safety encoder is unavailable: {exc}") from exc
                cached = cls(heads, embedder)
                cls._cache[path] = cached
            return cached

    def score(self, windows: list[str]) -> Floats:
        """Banded scores (n, len(HEAD_CATEGORIES)) of texts of at most WINDOW_CHARS characters each."""
        if not windows:
            return np.zeros((0, len(HEAD_CATEGORIES)))
        # Lone surrogates are valid in a Python str but not in UTF-8, which the tokenizer needs.
        clean = [w.encode("utf-8", "replace").decode("utf-8") for w in windows]
        vectors = self._embedder.embed(clean)
        return self.heads.banded(self.heads.probabilities(vectors))
