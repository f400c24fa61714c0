"""Reading and writing the packaged safety model (numpy .npz weights + JSON metadata).

The format is deliberately pickle-free: `np.load(allow_pickle=False)` and `json` cannot
execute code, so a tampered artifact can at worst fail to load. A SHA-256 of the weights
file is stored in the metadata so truncation or bit-rot is reported, not silently scored.
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

FORMAT_VERSION = 1
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


def _sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(model: SafetyModel, directory: Path, extra_meta: dict[str, Any]) -> None:
    """Write weights (float16, compressed) and metadata into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    weights_path = directory / WEIGHTS_FILE
    # float16 halves the size; the scoring error it adds is far below threshold granularity.
    np.savez_compressed(
        weights_path,
        weights=model.weights.astype(np.float16),
        bias=model.bias.astype(np.float32),
    )
    meta = {
        "format_version": FORMAT_VERSION,
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
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
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
    return SafetyModel(
        weights=weights,
        bias=bias,
        n_buckets=n_buckets,
        chunk_size=chunk_size,
        chunk_stride=chunk_stride,
        harm_thresholds=harm,
        detection_thresholds=det,
    )
