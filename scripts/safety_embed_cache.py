"""MiniLM sentence embeddings of training texts, cached on disk by text digest (training only).

They come from the int8 encoder the runtime uses (`Embedder.load(quantized=True)`), so the heads are
fitted and calibrated on the vectors they will see.

The encoder sees at most 256 word pieces, so texts are cut at `MAX_CHARS` characters first, as the
runtime cuts its windows.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import numpy as np

from tutela.gateway.providers.extractive.embeddings import DIMENSIONS, Embedder
from tutela.gateway.safety.encoder import WINDOW_CHARS

CACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "tutela-safety-minilm-int8-cache.npz"
BATCH = 512


def _key(text: str) -> str:
    return hashlib.sha1(text[:WINDOW_CHARS].encode("utf-8", "surrogatepass")).hexdigest()


def embed_all(texts: list[str]) -> np.ndarray:
    """(len(texts), 384) embeddings; only texts not in the cache are run through the encoder."""
    cache: dict[str, np.ndarray] = {}
    if CACHE.is_file():
        with np.load(CACHE) as npz:
            cache = dict(zip(npz["keys"].tolist(), npz["vectors"], strict=True))
    keys = [_key(t) for t in texts]
    missing = sorted(
        {k: t[:WINDOW_CHARS] for k, t in zip(keys, texts, strict=True) if k not in cache}.items()
    )
    if missing:
        embedder = Embedder.load(quantized=True)
        start = time.time()
        for at in range(0, len(missing), BATCH):
            part = missing[at : at + BATCH]
            vectors = embedder.embed([t for _, t in part])
            cache.update(zip([k for k, _ in part], vectors, strict=True))
            print(f"[embed] {at + len(part)}/{len(missing)} in {time.time() - start:.0f}s", flush=True)
            if (at // BATCH) % 4 == 3 or at + BATCH >= len(missing):
                # Saved as it goes, so an interrupted run keeps what it embedded.
                np.savez(CACHE, keys=np.array(list(cache)), vectors=np.stack(list(cache.values())))
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for row, key in enumerate(keys):
        out[row] = cache[key]
    return out
