"""Hashed character and word n-gram features, reproducible with numpy alone.

The training script and the runtime classifier both call `featurize`, so the
feature space is defined in exactly one place. Hashing is a 64-bit polynomial
rolling hash finished with a splitmix64-style mixer; it does not depend on
Python's per-process salted `hash()`, so it is stable across runs and hosts.
"""

from __future__ import annotations

import html
import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Number of hash buckets is a power of two so a mask replaces the modulo.
DEFAULT_N_BUCKETS = 1 << 18
CHAR_NGRAM_RANGE = (2, 5)

_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SHIFT30 = np.uint64(30)
_SHIFT27 = np.uint64(27)
_SHIFT31 = np.uint64(31)
_SHIFT63 = np.uint64(63)
# Distinct seeds keep char n-grams of each length and word n-grams in separate hash families.
_CHAR_SEEDS = {n: np.uint64(0x9E3779B97F4A7C15 * n & 0xFFFFFFFFFFFFFFFF) for n in range(1, 9)}
_WORD_UNI_SEED = np.uint64(0x51ED270B27D1F3A5)
_WORD_BI_SEED = np.uint64(0x2545F4914F6CDD1D)

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_MENTION_RE = re.compile(r"@\w+")
_RT_RE = re.compile(r"\brt\b\s*:?")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"\w+")

FloatArray = npt.NDArray[np.float32]
IndexArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class SparseFeatures:
    """Bucket indices and values of one text's feature vector (indices are unique)."""

    indices: IndexArray
    values: FloatArray


def normalize(text: str) -> str:
    """Lower-case, NFKC-fold and strip tweet/web noise so sources look alike."""
    text = unicodedata.normalize("NFKC", html.unescape(text)).lower()
    # Placeholders stop the model from learning that URLs or @handles (tweets) mean "offensive".
    text = _URL_RE.sub(" ", text)
    text = _MENTION_RE.sub(" ", text)
    text = _RT_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def _mix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Finalize 64-bit hashes so low bits (used as bucket ids) are well spread."""
    h = (h ^ (h >> _SHIFT30)) * _MIX1
    h = (h ^ (h >> _SHIFT27)) * _MIX2
    return h ^ (h >> _SHIFT31)


def _hashes(text: str) -> tuple[npt.NDArray[np.uint64], int]:
    """Mixed hashes of the char n-grams (n in CHAR_NGRAM_RANGE) of the space-padded text, then of its word
    unigrams and bigrams, and how many of them are char n-grams. One mixing pass over all of them: for a
    short prompt the cost is numpy's per-call overhead, so fewer, larger calls."""
    # surrogatepass: lone surrogates (invalid but possible in str) must hash, not raise.
    raw = (" " + text + " ").encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(raw, dtype=np.uint32).astype(np.uint64)
    lo, hi = CHAR_NGRAM_RANGE
    parts: list[npt.NDArray[np.uint64]] = []
    rolling = codes
    for n in range(2, hi + 1):
        if codes.size < n:
            break
        rolling = rolling[:-1] * _PRIME + codes[n - 1 :]
        if n >= lo:
            parts.append(rolling ^ _CHAR_SEEDS[n])
    n_char = sum(p.size for p in parts)
    words = _WORD_RE.findall(text)
    if words:
        base = np.array([zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words], dtype=np.uint64)
        parts.append(base ^ _WORD_UNI_SEED)
        if base.size >= 2:
            parts.append((base[:-1] * _PRIME + base[1:]) ^ _WORD_BI_SEED)
    if not parts:
        return np.zeros(0, dtype=np.uint64), 0
    return _mix(np.concatenate(parts)), n_char


def featurize(text: str, n_buckets: int = DEFAULT_N_BUCKETS) -> SparseFeatures:
    """Map raw text to its sparse hashed feature vector: a char block and a word block, each of signed
    presence values (+-1 per bucket, colliding n-grams tend to cancel) scaled to unit norm, then summed."""
    hashes, n_char = _hashes(normalize(text))
    if hashes.size == 0:
        return SparseFeatures(indices=np.zeros(0, dtype=np.int64), values=np.zeros(0, dtype=np.float32))
    buckets = (hashes & np.uint64(n_buckets - 1)).astype(np.int64)
    # Top bit gives a +-1 sign.
    signs = 1.0 - 2.0 * (hashes >> _SHIFT63).astype(np.float64)
    is_word_hash = np.zeros(hashes.size, dtype=np.int64)
    is_word_hash[n_char:] = 1
    # One sort for both blocks: keys order by bucket, then block.
    keys, inverse = np.unique(buckets * 2 + is_word_hash, return_inverse=True)
    # Presence, not counts: repeated boilerplate must not drown out one harmful sentence in a window.
    vals = np.sign(np.bincount(inverse, weights=signs, minlength=keys.size))
    is_word = (keys & 1).astype(bool)
    present = vals != 0
    char_norm = np.sqrt(np.count_nonzero(present & ~is_word))  # the values are -1, 0 or +1
    word_norm = np.sqrt(np.count_nonzero(present & is_word))
    vals = vals * np.where(is_word, 1.0 / max(word_norm, 1.0), 1.0 / max(char_norm, 1.0))
    indices = keys >> 1
    # A bucket used by both blocks appears twice, side by side: add the two.
    starts = np.flatnonzero(np.concatenate(([True], indices[1:] != indices[:-1])))
    merged = np.add.reduceat(vals, starts).astype(np.float32)
    return SparseFeatures(indices=indices[starts], values=merged)
