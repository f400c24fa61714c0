"""Built-in offline content-safety classifier (CPU, numpy only).

Each category is a logistic-regression scorer over hashed char/word n-grams
(see `features.py`). With a format-2 artifact, a small per-category head then combines that
n-gram logit with a static sentence embedding (`static_embeddings.py`: one table lookup per
word piece, no neural network at run time), which carries meaning the n-grams miss. Long
inputs are split into overlapping windows and each category takes its maximum over windows,
so a harmful paragraph buried in a long document is not diluted away. Input text is never
stored, cached or logged.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from tutela.gateway.safety.artifact import DEFAULT_MODEL_DIR, SafetyModel, load_model
from tutela.gateway.safety.features import featurize
from tutela.gateway.safety.lexicon import lexicon_score
from tutela.gateway.safety.scores import (
    CATEGORIES,
    DETECTION_CATEGORIES,
    HARM_CATEGORIES,
    DetectionScore,
    HarmScore,
    SafetyScores,
    Severity,
)
from tutela.gateway.safety.static_embeddings import StaticEmbeddings

_PROFANITY_INDEX = CATEGORIES.index("profanity")


def _chunks(text: str, size: int, stride: int) -> list[str]:
    """Overlapping windows covering the whole text (one window if it is short)."""
    if len(text) <= size:
        return [text]
    starts = list(range(0, len(text) - size + 1, stride))
    if starts[-1] + size < len(text):
        starts.append(len(text) - size)
    return [text[s : s + size] for s in starts]


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Numerically safe logistic function."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


class _Head(NamedTuple):
    """Embedding head of a format-2 model (see `artifact.py` for the formula)."""

    embeddings: StaticEmbeddings
    scale: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    bias: npt.NDArray[np.float64]


def _head_of(model: SafetyModel) -> _Head | None:
    """The model's embedding head, or None for an n-gram-only model."""
    if model.embeddings is None or model.head_scale is None:
        return None
    if model.head_embedding is None or model.head_bias is None:
        return None
    return _Head(
        model.embeddings,
        model.head_scale.astype(np.float64),
        model.head_embedding.astype(np.float64),
        model.head_bias.astype(np.float64),
    )


class SafetyClassifier:
    """Scores texts for hate, sexual, violence, self-harm, jailbreak, indirect attack and profanity."""

    _cache: ClassVar[dict[Path, SafetyClassifier]] = {}
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, model: SafetyModel) -> None:
        self._model = model
        self._head = _head_of(model)

    @classmethod
    def load(cls, directory: Path | None = None) -> SafetyClassifier:
        """Load the packaged model (or one in `directory`); instances are cached per directory."""
        path = (directory or DEFAULT_MODEL_DIR).resolve()
        with cls._cache_lock:
            cached = cls._cache.get(path)
            if cached is None:
                cached = cls(load_model(path))
                cls._cache[path] = cached
            return cached

    @classmethod
    def clear_cache(cls) -> None:
        """Forget loaded models (used by tests and after replacing the artifact)."""
        with cls._cache_lock:
            cls._cache.clear()

    @property
    def model(self) -> SafetyModel:
        """The loaded model parameters and thresholds."""
        return self._model

    def _score_chunk(self, chunk: str) -> npt.NDArray[np.float64]:
        """Per-category probabilities for one window of text."""
        model = self._model
        feats = featurize(chunk, model.n_buckets)
        logits = feats.values.astype(np.float64) @ model.weights[feats.indices] + model.bias
        head = self._head
        if head is not None:
            embedding = head.embeddings.embed(chunk).astype(np.float64)
            logits = logits * head.scale + embedding @ head.weights + head.bias
        probs = _sigmoid(np.asarray(logits, dtype=np.float64))
        # Swear words are a closed class; the lexicon guarantees they are caught even in unusual contexts.
        probs[_PROFANITY_INDEX] = max(probs[_PROFANITY_INDEX], lexicon_score(chunk))
        return probs

    def score_matrix(self, texts: list[str]) -> npt.NDArray[np.float64]:
        """Raw scores, shape (len(texts), len(CATEGORIES)), each the max over the text's windows."""
        out = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float64)
        size, stride = self._model.chunk_size, self._model.chunk_stride
        for row, text in enumerate(texts):
            for chunk in _chunks(text, size, stride):
                np.maximum(out[row], self._score_chunk(chunk), out=out[row])
        return out

    def _severity(self, category: str, score: float) -> Severity:
        """Map a harm score to its calibrated severity band."""
        t = self._model.harm_thresholds[category]
        if score >= t["high"]:
            return "high"
        if score >= t["medium"]:
            return "medium"
        if score >= t["low"]:
            return "low"
        return "safe"

    def classify(self, texts: list[str]) -> list[SafetyScores]:
        """Score each text; never raises on long, empty or non-English input."""
        matrix = self.score_matrix(texts)
        results: list[SafetyScores] = []
        for row in matrix:
            values = {cat: float(row[i]) for i, cat in enumerate(CATEGORIES)}
            harm = {c: HarmScore(values[c], self._severity(c, values[c])) for c in HARM_CATEGORIES}
            det = {
                c: DetectionScore(values[c], values[c] >= self._model.detection_thresholds[c])
                for c in DETECTION_CATEGORIES
            }
            results.append(
                SafetyScores(
                    hate=harm["hate"],
                    sexual=harm["sexual"],
                    violence=harm["violence"],
                    self_harm=harm["self_harm"],
                    jailbreak=det["jailbreak"],
                    indirect_attack=det["indirect_attack"],
                    profanity=det["profanity"],
                )
            )
        return results
