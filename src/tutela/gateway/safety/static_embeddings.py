"""Static word-piece embeddings: a sentence vector from one table lookup per token, numpy only.

The table is distilled offline from all-MiniLM-L6-v2 by `scripts/distill_safety_embeddings.py`: every
WordPiece vocabulary entry is run through the encoder on its own, the pooled outputs are reduced
with PCA, down-weighted for frequent tokens (SIF with Zipf-estimated frequencies) and stored as
int8 rows with one scale per row. At run time a text is tokenized with the same uncased BERT
WordPiece rules (via `tokenizers`, already a dependency), the rows are summed and the sum is
L2-normalised. No neural network runs while classifying.

The vocabulary travels inside the same `.npz` as the rows, so the table cannot be paired with a
different tokenizer by accident.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from tutela.gateway.safety.exceptions import SafetyModelError

TABLE_FILE = "static_embeddings.npz"
UNK_TOKEN = "[UNK]"  # noqa: S105 - a vocabulary entry, not a credential
# Word pieces that carry no content; the table stores zero rows for them.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_MAX_CHARS_PER_WORD = 100

FloatVector = npt.NDArray[np.float32]


def build_tokenizer(vocab: list[str]) -> Tokenizer:
    """Uncased BERT WordPiece tokenizer (as all-MiniLM-L6-v2 uses it) over `vocab`, without specials."""
    ids = {token: i for i, token in enumerate(vocab)}
    if len(ids) != len(vocab) or UNK_TOKEN not in ids:
        raise SafetyModelError("static embedding vocabulary has duplicates or lacks [UNK]")
    tokenizer = Tokenizer(
        models.WordPiece(ids, unk_token=UNK_TOKEN, max_input_chars_per_word=_MAX_CHARS_PER_WORD)
    )
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


@dataclass(frozen=True, slots=True)
class StaticEmbeddings:
    """Quantized token table plus its tokenizer; immutable, so safe to share across threads."""

    vectors: npt.NDArray[np.int8]  # (vocab, dim)
    scales: npt.NDArray[np.float32]  # (vocab,) dequantization factor per row
    tokenizer: Tokenizer

    @property
    def dim(self) -> int:
        """Length of a sentence vector."""
        return int(self.vectors.shape[1])

    def token_ids(self, text: str) -> npt.NDArray[np.int64]:
        """Word-piece ids of `text` (no [CLS]/[SEP])."""
        try:
            encoding = self.tokenizer.encode(text, add_special_tokens=False)
        except TypeError:
            # Lone surrogates are valid in a Python str but not in UTF-8; replace them and retry.
            clean = text.encode("utf-8", "replace").decode("utf-8")
            encoding = self.tokenizer.encode(clean, add_special_tokens=False)
        return np.asarray(encoding.ids, dtype=np.int64)

    def embed(self, text: str) -> FloatVector:
        """Unit-length sentence vector of `text` (all zeros when it has no tokens)."""
        ids = self.token_ids(text)
        if ids.size == 0:
            return np.zeros(self.dim, dtype=np.float32)
        # sum_i scale_i * row_i, computed as one small float32 matrix-vector product.
        summed = self.scales[ids] @ self.vectors[ids].astype(np.float32)
        norm = float(np.sqrt(np.dot(summed, summed)))
        if norm <= 0.0:
            return np.zeros(self.dim, dtype=np.float32)
        return np.asarray(summed / norm, dtype=np.float32)

    def embed_many(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Sentence vectors of several texts, shape (len(texts), dim)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self.embed(text)
        return out


def save_table(
    path: Path, vectors: npt.NDArray[np.int8], scales: npt.NDArray[np.float32], vocab: list[str]
) -> None:
    """Write the table (int8 rows, float32 scales, vocabulary as a fixed-width unicode array)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        vectors=np.asarray(vectors, dtype=np.int8),
        scales=np.asarray(scales, dtype=np.float32),
        vocab=np.asarray(vocab, dtype=np.str_),
    )


def load_table(path: Path) -> StaticEmbeddings:
    """Read a table written by `save_table` (pickle-free); raise SafetyModelError on any defect.

    The caller is responsible for checking the file's hash before calling this.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            vectors = np.asarray(npz["vectors"], dtype=np.int8)
            scales = np.asarray(npz["scales"], dtype=np.float32)
            vocab = [str(t) for t in npz["vocab"]]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SafetyModelError(f"static embedding table at {path} is unreadable: {exc}") from exc
    if vectors.ndim != 2 or scales.shape != (vectors.shape[0],) or len(vocab) != vectors.shape[0]:
        raise SafetyModelError("static embedding table shapes do not match its vocabulary")
    if not np.isfinite(scales).all():
        raise SafetyModelError("static embedding table scales contain non-finite values")
    return StaticEmbeddings(vectors=vectors, scales=scales, tokenizer=build_tokenizer(vocab))
