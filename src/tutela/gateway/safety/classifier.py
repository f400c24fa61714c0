"""Built-in offline content-safety classifier (CPU, numpy only).

Each category is a logistic-regression scorer over hashed char/word n-grams
(see `features.py`). With a format-2 artifact, a small per-category head then combines that
n-gram logit with a static sentence embedding (`static_embeddings.py`: one table lookup per
word piece, no neural network at run time), which carries meaning the n-grams miss. Long
inputs are split into overlapping windows and each category takes its maximum over windows,
so a harmful paragraph buried in a long document is not diluted away. Input text is never
stored or logged; the scores of recently seen texts are remembered under a keyed hash of the text
(`verdict_cache.py`), so a document sent with every call of a job is scored once.

With the encoder stage (`encoder.py`, present in the shipped model) the gateway screens through a
cascade (`cascade.py`): the n-gram model scores every text, and only a harm category in its uncertain
band is re-scored by the int8 MiniLM encoder and its per-category heads, on the text's most suspicious
sentences. `classify(..., thorough=True)` (used by `/v1/moderations`) sends the highest-scoring windows
of every text to the encoder, which then gives the four harm severities and OpenAI's moderation
taxonomy; there, in a text of at least JAILBREAK_CONFIRM_CHARS characters, an n-gram jailbreak counts
only if the encoder's jailbreak head agrees (long prose resembles a long jailbreak template to n-grams,
not to the encoder). At most `max_windows` windows per text are encoded there, the ones the n-gram
model rates highest, so the cost stays bounded on long inputs. The encoder is loaded on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar, NamedTuple

import numpy as np
import numpy.typing as npt

from tutela.gateway.safety import cascade
from tutela.gateway.safety.artifact import DEFAULT_MODEL_DIR, SafetyModel, load_model
from tutela.gateway.safety.encoder import (
    BAND_POINTS,
    ENCODER_META_FILE,
    HEAD_CATEGORIES,
    EncoderStage,
    load_heads,
)
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
from tutela.gateway.safety.taxonomy import GATEWAY, TAXONOMY
from tutela.gateway.safety.verdict_cache import DEFAULT_CAPACITY, VerdictCache

_PROFANITY_INDEX = CATEGORIES.index("profanity")
_HARM_INDICES = [CATEGORIES.index(c) for c in HARM_CATEGORIES]
# Categories whose n-gram scores choose the windows /v1/moderations encodes (harassment is often plain
# profanity; a jailbreak the n-gram model detects is confirmed by the encoder).
_SUSPICION_INDICES = [CATEGORIES.index(c) for c in (*HARM_CATEGORIES, "profanity", "jailbreak")]
# Texts this long (pasted pages and documents) need the encoder to confirm an n-gram jailbreak; shorter
# ones keep the n-gram decision, which misses fewer short jailbreaks (see the model card).
JAILBREAK_CONFIRM_CHARS = 800
_SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")


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

    def __init__(
        self, model: SafetyModel, encoder_dir: Path | None = None, *, cache_size: int = DEFAULT_CAPACITY
    ) -> None:
        """`cache_size` 0 turns the verdict cache off (benchmarks measuring the model itself)."""
        self._model = model
        self._verdicts = VerdictCache(cache_size) if cache_size else None
        self._head = _head_of(model)
        self._encoder_dir = encoder_dir  # loaded on first thorough use: screening never needs it
        self._encoder: EncoderStage | None = None
        self._encoder_lock = threading.Lock()
        self._knots = _band_knots(model)

    @classmethod
    def load(cls, directory: Path | None = None) -> SafetyClassifier:
        """Load the packaged model (or one in `directory`) with its encoder stage when the directory has
        one; instances are cached per directory."""
        path = (directory or DEFAULT_MODEL_DIR).resolve()
        with cls._cache_lock:
            cached = cls._cache.get(path)
            if cached is None:
                model = load_model(path)
                has_encoder = (path / ENCODER_META_FILE).exists()
                if has_encoder:
                    load_heads(path)  # refuse damaged heads at start; MiniLM itself loads on first use
                cached = cls(model, path if has_encoder else None)
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

    def _scored_windows(self, text: str) -> tuple[list[str], npt.NDArray[np.float64]]:
        """The text's windows and their raw scores, shape (n_windows, len(CATEGORIES))."""
        chunks = _chunks(text, self._model.chunk_size, self._model.chunk_stride)
        return chunks, np.stack([self._score_chunk(chunk) for chunk in chunks])

    def score_matrix(self, texts: list[str]) -> npt.NDArray[np.float64]:
        """Raw n-gram scores, shape (len(texts), len(CATEGORIES)), each the max over the text's windows."""
        out = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float64)
        for row, text in enumerate(texts):
            out[row] = self._scored_windows(text)[1].max(axis=0)
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

    @property
    def encoder(self) -> EncoderStage | None:
        """The encoder stage (loaded and verified on first use), or None for an n-gram-only model."""
        if self._encoder is None and self._encoder_dir is not None:
            with self._encoder_lock:
                if self._encoder is None:
                    self._encoder = EncoderStage.load(self._encoder_dir)
        return self._encoder

    def banded(self, matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Raw n-gram scores mapped onto the band scale (low, medium, high at 0.25, 0.5, 0.75;
        a detector's threshold at 0.5)."""
        out = np.empty_like(matrix)
        for k, (xs, ys) in enumerate(self._knots):
            out[:, k] = np.interp(matrix[:, k], xs, ys)
        return out

    def _encoded(
        self, scored: list[tuple[list[str], npt.NDArray[np.float64]]], thorough: bool
    ) -> list[dict[str, float] | None]:
        """Encoder head scores per text for /v1/moderations (None when not `thorough`: the gateway's
        screen goes through the cascade instead)."""
        stage = self.encoder if thorough else None
        if stage is None:
            return [None] * len(scored)
        windows: list[str] = []
        owner: list[int] = []
        for row, (chunks, chunk_scores) in enumerate(scored):
            suspicion = self.banded(chunk_scores)[:, _SUSPICION_INDICES].max(axis=1)
            order = [int(i) for i in np.argsort(-suspicion, kind="stable")[: stage.heads.max_windows]]
            for i in order:
                for window in cascade.sentence_windows(chunks[i]):
                    windows.append(window)
                    owner.append(row)
        scores = stage.score(windows)
        out: list[dict[str, float] | None] = [None] * len(scored)
        for row in set(owner):
            best = scores[[i for i, o in enumerate(owner) if o == row]].max(axis=0)
            out[row] = {cat: float(best[k]) for k, cat in enumerate(HEAD_CATEGORIES)}
        return out

    @property
    def verdicts(self) -> VerdictCache | None:
        """The cache of recent verdicts (keyed hashes and scores only), None when turned off."""
        return self._verdicts

    def classify(self, texts: list[str], *, thorough: bool = False) -> list[SafetyScores]:
        """Score each text; never raises on long, empty or non-English input.

        `thorough` sends every text to the encoder stage (its most suspicious windows) and scores OpenAI's
        moderation taxonomy. A text seen recently gets its cached scores.
        """
        cache = self._verdicts
        if cache is None:
            return self._classify(texts, thorough)
        keys = [cache.key(text, thorough=thorough) for text in texts]
        found = [cache.get(key) for key in keys]
        missing = [i for i, scores in enumerate(found) if scores is None]
        if missing:
            fresh = self._classify([texts[i] for i in missing], thorough)
            for i, scores in zip(missing, fresh, strict=True):
                found[i] = scores
                cache.put(keys[i], scores)
        return [scores for scores in found if scores is not None]

    def _classify(self, texts: list[str], thorough: bool) -> list[SafetyScores]:
        """Score each text with the model (no cache)."""
        scored = [self._scored_windows(text) for text in texts]
        matrix = [chunk_scores.max(axis=0) for _, chunk_scores in scored]
        encoded = self._encoded(scored, thorough)
        escalated = (
            [False] * len(texts)
            if thorough
            else [self._cascade(*s, row) for s, row in zip(scored, matrix, strict=True)]
        )
        results: list[SafetyScores] = []
        for text, row, heads, escalation in zip(texts, matrix, encoded, escalated, strict=True):
            values = {cat: float(row[i]) for i, cat in enumerate(CATEGORIES)}
            taxonomy = None if heads is None or not thorough else {cat: heads[cat] for cat in TAXONOMY}
            harm = self._harm(values, taxonomy)
            det = {
                c: DetectionScore(values[c], values[c] >= self._model.detection_thresholds[c])
                for c in DETECTION_CATEGORIES
            }
            confirm = heads is not None and len(text) >= JAILBREAK_CONFIRM_CHARS
            if (
                confirm
                and det["jailbreak"].detected
                and heads is not None
                and heads["jailbreak"] < BAND_POINTS[1]
            ):
                # The encoder does not confirm: report the n-gram score capped below its threshold.
                capped = min(values["jailbreak"], self._model.detection_thresholds["jailbreak"] - 1e-6)
                det["jailbreak"] = DetectionScore(capped, False)
            results.append(
                SafetyScores(
                    hate=harm["hate"],
                    sexual=harm["sexual"],
                    violence=harm["violence"],
                    self_harm=harm["self_harm"],
                    jailbreak=det["jailbreak"],
                    indirect_attack=det["indirect_attack"],
                    profanity=det["profanity"],
                    taxonomy=taxonomy,
                    escalated=escalation,
                )
            )
        return results

    def _cascade(
        self, chunks: list[str], chunk_scores: npt.NDArray[np.float64], row: npt.NDArray[np.float64]
    ) -> bool:
        """Re-score, in place in `row`, the harm categories the n-gram model is unsure of (cascade.py);
        True when the encoder ran."""
        if self._encoder_dir is None:
            return False
        bands = self.banded(row[None])[0]
        unsure = cascade.uncertain(bands, _HARM_INDICES)
        stage = self.encoder if unsure else None
        if stage is None:
            return False
        best = int(np.argmax(self.banded(chunk_scores)[:, unsure].max(axis=1)))
        sentences = cascade.sentence_windows(chunks[best])
        if len(sentences) > cascade.ENCODED_WINDOWS:
            suspicion = self.banded(np.stack([self._score_chunk(w) for w in sentences]))[:, unsure].max(
                axis=1
            )
            keep = np.argsort(-suspicion, kind="stable")[: cascade.ENCODED_WINDOWS]
            sentences = [sentences[int(i)] for i in sorted(keep)]
        encoded = cascade.gateway_scores(stage.score(sentences).max(axis=0))
        for k in unsure:
            row[k] = cascade.to_raw(cascade.combine(bands[k], encoded[CATEGORIES[k]]), self._knots[k])
        return True

    def _harm(self, values: dict[str, float], taxonomy: dict[str, float] | None) -> dict[str, HarmScore]:
        """The four harm results: from the encoder when it ran, else from the n-gram model."""
        if taxonomy is not None:
            return {c: _band_score(max(taxonomy[t] for t in GATEWAY[c])) for c in HARM_CATEGORIES}
        return {c: HarmScore(values[c], self._severity(c, values[c])) for c in HARM_CATEGORIES}


def _band_score(score: float) -> HarmScore:
    """A score on the band scale with its severity."""
    severity: Severity = "safe"
    for level, point in zip(_SEVERITIES, BAND_POINTS, strict=True):
        if score >= point:
            severity = level
    return HarmScore(score, severity)


def _band_knots(model: SafetyModel) -> list[tuple[list[float], list[float]]]:
    """Interpolation knots per category for `SafetyClassifier.banded`."""
    knots = []
    for cat in CATEGORIES:
        if cat in HARM_CATEGORIES:
            t = model.harm_thresholds[cat]
            knots.append(([0.0, t["low"], t["medium"], t["high"], 1.0], [0.0, *BAND_POINTS, 1.0]))
        else:
            knots.append(([0.0, model.detection_thresholds[cat], 1.0], [0.0, 0.5, 1.0]))
    return knots
