"""Reading and writing the packaged safety model (numpy .npz weights + JSON metadata).

The format is deliberately pickle-free: `np.load(allow_pickle=False)` and `json` cannot
execute code, so a tampered artifact can at worst fail to load. SHA-256 digests of the weights
file and of the static embedding table are stored in the metadata so truncation or bit-rot is
reported, not silently scored.

Format 1 is the n-gram model alone. Format 2 adds a per-category head over the n-gram logit and
a static sentence embedding (`static_embeddings.py`):

    logit[k] = head_scale[k] * ngram_logit[k] + embedding @ head_embedding[:, k] + head_bias[k]
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tutela.gateway.safety.exceptions import SafetyModelError
from tutela.gateway.safety.scores import CATEGORIES, DETECTION_CATEGORIES, HARM_CATEGORIES
from tutela.gateway.safety.static_embeddings import TABLE_FILE, StaticEmbeddings, load_table

FORMAT_VERSION = 2
SUPPORTED_FORMATS = (1, 2)
WEIGHTS_FILE = "weights.npz"
META_FILE = "model.json"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "model"
SEVERITY_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class SafetyModel:
    """In-memory model: one linear scorer per category over hashed n-gram features."""

    weights: npt.NDArray[np.float32]  # (n_buckets, n_categories)
    bias: npt.NDArray[np.float32]  # (n_categories,)
    n_buckets: int
    chunk_size: int
    chunk_stride: int
    harm_thresholds: dict[str, dict[str, float]]  # category -> {"low", "medium", "high"}
    detection_thresholds: dict[str, float]  # category -> score threshold
    # Embedding head (format 2); None for an n-gram-only model.
    embeddings: StaticEmbeddings | None = None
    head_scale: npt.NDArray[np.float32] | None = None  # (n_categories,)
    head_embedding: npt.NDArray[np.float32] | None = None  # (embedding dim, n_categories)
    head_bias: npt.NDArray[np.float32] | None = None  # (n_categories,)


def _sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(model: SafetyModel, directory: Path, extra_meta: dict[str, Any]) -> None:
    """Write weights (float16, compressed) and metadata into `directory`.

    With an embedding head, the static table must already be in `directory` (`TABLE_FILE`);
    its digest is recorded so the pair is loaded together or not at all.
    """
    directory.mkdir(parents=True, exist_ok=True)
    weights_path = directory / WEIGHTS_FILE
    arrays: dict[str, npt.NDArray[Any]] = {
        # float16 halves the size; the scoring error it adds is far below threshold granularity.
        "weights": model.weights.astype(np.float16),
        "bias": model.bias.astype(np.float32),
    }
    head_meta: dict[str, Any] = {}
    if model.embeddings is not None:
        if model.head_scale is None or model.head_embedding is None or model.head_bias is None:
            raise ValueError("a model with embeddings needs all head arrays")
        arrays["head_scale"] = model.head_scale.astype(np.float32)
        arrays["head_embedding"] = model.head_embedding.astype(np.float32)
        arrays["head_bias"] = model.head_bias.astype(np.float32)
        head_meta = {
            "embedding_dim": model.embeddings.dim,
            "embeddings_sha256": _sha256(directory / TABLE_FILE),
        }
    np.savez_compressed(weights_path, **arrays)  # type: ignore[arg-type]
    meta = {
        "format_version": FORMAT_VERSION if model.embeddings is not None else 1,
        **head_meta,
        "categories": list(CATEGORIES),
        "n_buckets": model.n_buckets,
        "chunk_size": model.chunk_size,
        "chunk_stride": model.chunk_stride,
        "harm_thresholds": model.harm_thresholds,
        "detection_thresholds": model.detection_thresholds,
        "weights_sha256": _sha256(weights_path),
        **extra_meta,
    }
    (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _check_thresholds(meta: dict[str, Any]) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Validate threshold tables: every category present, values in (0, 1), severities increasing."""
    harm_raw = meta.get("harm_thresholds")
    det_raw = meta.get("detection_thresholds")
    if not isinstance(harm_raw, dict) or not isinstance(det_raw, dict):
        raise SafetyModelError("safety model metadata lacks threshold tables")
    harm: dict[str, dict[str, float]] = {}
    for cat in HARM_CATEGORIES:
        levels = harm_raw.get(cat)
        if not isinstance(levels, dict):
            raise SafetyModelError(f"safety model metadata lacks severity thresholds for {cat!r}")
        values = [float(levels[level]) for level in SEVERITY_LEVELS if level in levels]
        if len(values) != len(SEVERITY_LEVELS) or not all(0.0 < v < 1.0 for v in values):
            raise SafetyModelError(f"severity thresholds for {cat!r} are incomplete or outside (0, 1)")
        if not values[0] < values[1] < values[2]:
            raise SafetyModelError(f"severity thresholds for {cat!r} are not increasing")
        harm[cat] = dict(zip(SEVERITY_LEVELS, values, strict=True))
    det: dict[str, float] = {}
    for cat in DETECTION_CATEGORIES:
        value = det_raw.get(cat)
        if not isinstance(value, int | float) or not 0.0 < float(value) < 1.0:
            raise SafetyModelError(f"detection threshold for {cat!r} is missing or outside (0, 1)")
        det[cat] = float(value)
    return harm, det


def load_model(directory: Path = DEFAULT_MODEL_DIR) -> SafetyModel:
    """Load and validate the artifact in `directory`; raise SafetyModelError on any defect."""
    meta_path = directory / META_FILE
    weights_path = directory / WEIGHTS_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SafetyModelError(f"safety model metadata not found at {meta_path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetyModelError(f"safety model metadata at {meta_path} is unreadable: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format_version") not in SUPPORTED_FORMATS:
        raise SafetyModelError(f"unsupported safety model format in {meta_path}")
    if meta.get("categories") != list(CATEGORIES):
        raise SafetyModelError("safety model categories do not match this version of Tutela")
    if not weights_path.is_file():
        raise SafetyModelError(f"safety model weights not found at {weights_path}")
    if _sha256(weights_path) != meta.get("weights_sha256"):
        raise SafetyModelError(f"safety model weights at {weights_path} are corrupted (checksum mismatch)")
    try:
        with np.load(weights_path, allow_pickle=False) as npz:
            weights = np.asarray(npz["weights"], dtype=np.float32)
            bias = np.asarray(npz["bias"], dtype=np.float32)
            head = (
                tuple(np.asarray(npz[k], dtype=np.float32) for k in _HEAD_ARRAYS)
                if meta["format_version"] >= 2
                else None
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SafetyModelError(f"safety model weights at {weights_path} are unreadable: {exc}") from exc
    n_buckets = int(meta.get("n_buckets", 0))
    if n_buckets <= 0 or n_buckets & (n_buckets - 1):
        raise SafetyModelError("safety model n_buckets must be a positive power of two")
    if weights.shape != (n_buckets, len(CATEGORIES)) or bias.shape != (len(CATEGORIES),):
        raise SafetyModelError(
            f"safety model weight shapes {weights.shape}/{bias.shape} do not match metadata"
        )
    if not (np.isfinite(weights).all() and np.isfinite(bias).all()):
        raise SafetyModelError("safety model weights contain non-finite values")
    chunk_size = int(meta.get("chunk_size", 0))
    chunk_stride = int(meta.get("chunk_stride", 0))
    if not 0 < chunk_stride <= chunk_size:
        raise SafetyModelError("safety model chunking parameters are invalid")
    harm, det = _check_thresholds(meta)
    model = SafetyModel(
        weights=weights,
        bias=bias,
        n_buckets=n_buckets,
        chunk_size=chunk_size,
        chunk_stride=chunk_stride,
        harm_thresholds=harm,
        detection_thresholds=det,
    )
    if head is None:
        return model
    return _with_head(model, head, directory, meta)


_HEAD_ARRAYS = ("head_scale", "head_embedding", "head_bias")


def _with_head(
    model: SafetyModel, head: tuple[npt.NDArray[np.float32], ...], directory: Path, meta: dict[str, Any]
) -> SafetyModel:
    """Attach the verified static embedding table and the embedding head to `model`."""
    table_path = directory / TABLE_FILE
    if not table_path.is_file():
        raise SafetyModelError(f"safety model embedding table not found at {table_path}")
    if _sha256(table_path) != meta.get("embeddings_sha256"):
        raise SafetyModelError(
            f"safety model embedding table at {table_path} is corrupted (checksum mismatch)"
        )
    table = load_table(table_path)
    scale, emb, bias = head
    n = len(CATEGORIES)
    if table.dim != meta.get("embedding_dim") or scale.shape != (n,) or bias.shape != (n,):
        raise SafetyModelError("safety model head shapes do not match metadata")
    if emb.shape != (table.dim, n):
        raise SafetyModelError(f"safety model head shape {emb.shape} does not match the table")
    if not all(np.isfinite(a).all() for a in head):
        raise SafetyModelError("safety model head contains non-finite values")
    return SafetyModel(
        weights=model.weights,
        bias=model.bias,
        n_buckets=model.n_buckets,
        chunk_size=model.chunk_size,
        chunk_stride=model.chunk_stride,
        harm_thresholds=model.harm_thresholds,
        detection_thresholds=model.detection_thresholds,
        embeddings=table,
        head_scale=scale,
        head_embedding=emb,
        head_bias=bias,
    )
