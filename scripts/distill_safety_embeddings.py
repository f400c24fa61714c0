"""Distil all-MiniLM-L6-v2 into the static word-piece table used by the safety classifier.

Offline and deterministic (no sampling): every WordPiece vocabulary entry is encoded on its own
("[CLS] token [SEP]") by the project's ONNX MiniLM embedder, mean-pooled and L2-normalised exactly
as for sentences; the 384-d vectors are centred and reduced with PCA, each row is multiplied by a
SIF weight a / (a + p(token)) with p estimated from the token's rank by Zipf's law (BERT's vocabulary
is roughly frequency-ordered), and rows are quantized to int8 with one float32 scale each.
Special and "[unusedN]" entries get zero rows.

    .venv/bin/python scripts/distill_safety_embeddings.py [--dim 256] [--out path/static_embeddings.npz]

Default output: src/tutela/gateway/safety/model/static_embeddings.npz (then retrain with
scripts/train_safety.py, which records the table's SHA-256 in model.json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tutela.gateway.providers.extractive.embeddings import (  # noqa: E402
    TOKENIZER_SHA256,
    Embedder,
    _read_verified,
    default_model_dir,
)
from tutela.gateway.safety.static_embeddings import (  # noqa: E402
    SPECIAL_TOKENS,
    TABLE_FILE,
    build_tokenizer,
    save_table,
)

DEFAULT_OUT = ROOT / "src" / "tutela" / "gateway" / "safety" / "model" / TABLE_FILE
BATCH = 256
SIF_A = 1e-4  # SIF smoothing constant, as in model2vec
CLS_ID, SEP_ID = 101, 102
# Sentences whose tokenization must match the embedder's own tokenizer exactly.
_CHECK_TEXTS = (
    "How do I kill a Python process that is stuck?",
    "Beat the eggs, then fold in the flour — don't overmix!",
    "Wie kann ich einen hängenden Prozess unter Linux beenden? 如何在 Python 中读取文件？",
    "naïve café résumé e-mail @user https://example.com/x?y=1 #tag :-)",
)


def log(msg: str) -> None:
    """Progress output."""
    print(f"[distill {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def token_vectors(embedder: Embedder, vocab_size: int) -> npt.NDArray[np.float32]:
    """(vocab, 384) pooled MiniLM output of every vocabulary entry encoded alone."""
    out = np.zeros((vocab_size, 384), dtype=np.float32)
    for start in range(0, vocab_size, BATCH):
        ids = range(start, min(start + BATCH, vocab_size))
        # Same-length inputs, so no padding enters the pooled vectors.
        out[start : start + len(ids)] = embedder._forward([[CLS_ID, i, SEP_ID] for i in ids])
        if start % (BATCH * 20) == 0:
            log(f"encoded {start}/{vocab_size}")
    return out


def distil(raw: npt.NDArray[np.float32], vocab: list[str], dim: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA + SIF weighting + int8 quantization; returns (int8 rows, float32 scales)."""
    content = np.array([not (t in SPECIAL_TOKENS or t.startswith("[unused")) for t in vocab])
    x = raw.astype(np.float64)
    mean = x[content].mean(axis=0)
    centred = x - mean
    # PCA by SVD of the content rows; the sign of each component is fixed for reproducibility.
    _, svals, vt = np.linalg.svd(centred[content], full_matrices=False)
    comps = vt[:dim]
    signs = np.sign(comps[np.arange(dim), np.abs(comps).argmax(axis=1)])
    comps *= signs[:, None]
    reduced = centred @ comps.T
    explained = float((svals[:dim] ** 2).sum() / (svals**2).sum())
    log(f"PCA {raw.shape[1]} -> {dim} dims keeps {explained:.1%} of the variance")
    rank = np.arange(len(vocab), dtype=np.float64) + 2.0
    proba = (1.0 / rank) / (1.0 / rank).sum()
    reduced *= (SIF_A / (SIF_A + proba))[:, None]
    reduced[~content] = 0.0
    peak = np.abs(reduced).max(axis=1)
    scales = np.where(peak > 0, peak / 127.0, 1.0)
    q = np.clip(np.rint(reduced / scales[:, None]), -127, 127).astype(np.int8)
    return q, scales.astype(np.float32)


def main() -> None:
    """Build and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, help="reuse/save raw token vectors here (.npy)")
    args = parser.parse_args()
    model_dir = default_model_dir()
    tokenizer_json = json.loads(_read_verified(model_dir / "tokenizer.json", TOKENIZER_SHA256))
    vocab_map: dict[str, int] = tokenizer_json["model"]["vocab"]
    vocab = sorted(vocab_map, key=vocab_map.__getitem__)
    assert [vocab_map[t] for t in vocab] == list(range(len(vocab)))
    assert (vocab[CLS_ID], vocab[SEP_ID]) == ("[CLS]", "[SEP]")
    embedder = Embedder.load()
    ours = build_tokenizer(vocab)
    for text in _CHECK_TEXTS:
        theirs = embedder._tokenizer.encode(text, add_special_tokens=False).ids
        if ours.encode(text, add_special_tokens=False).ids != theirs:
            raise SystemExit(f"tokenizer mismatch on {text!r}")
    if args.cache and args.cache.is_file():
        raw = np.load(args.cache)
    else:
        raw = token_vectors(embedder, len(vocab))
        if args.cache:
            np.save(args.cache, raw)
    q, scales = distil(raw, vocab, args.dim)
    save_table(args.out, q, scales, vocab)
    log(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {q.shape[0]} x {q.shape[1]} int8)")


if __name__ == "__main__":
    main()
