"""Offline MiniLM embedder: shape, fidelity to sentence-transformers, truncation, integrity check."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tutela.errors import TutelaError
from tutela.gateway.providers.extractive import embeddings
from tutela.gateway.providers.extractive.embeddings import DIMENSIONS, MAX_TOKENS, Embedder
from tutela.gateway.providers.extractive.exceptions import (
    EmbeddingModelIntegrityError,
    EmbeddingModelUnavailable,
)

# Vectors from sentence-transformers 6.2 + torch 2.13 (CPU); the procedure is recorded inside the file.
REFERENCE = Path(__file__).with_name("embeddings_reference.json")


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.load()


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_shape_dtype_and_unit_norm(embedder: Embedder) -> None:
    vectors = embedder.embed(["one sentence", "another, somewhat longer, sentence about course design", "x"])
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_list_gives_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, DIMENSIONS)
    assert embedder.count_tokens([]) == []


def test_empty_string_is_a_finite_unit_vector(embedder: Embedder) -> None:
    vector = embedder.embed([""])[0]
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert embedder.count_tokens([""]) == [2]  # [CLS] [SEP]


def test_paraphrase_is_closer_than_unrelated(embedder: Embedder) -> None:
    cat, feline, revenue = embedder.embed(
        ["The cat sat on the mat.", "A feline rested on a rug.", "Quarterly revenue grew by eight percent."]
    )
    assert cosine(cat, feline) > cosine(cat, revenue) + 0.3


def test_matches_sentence_transformers_reference(embedder: Embedder, reference: dict[str, Any]) -> None:
    assert reference["model_sha256"] == embeddings.MODEL_SHA256  # the fixture is for these exact weights
    expected = np.asarray(reference["vectors"], dtype=np.float32)
    actual = embedder.embed(reference["texts"])
    for text, got, want in zip(reference["texts"], actual, expected, strict=True):
        assert cosine(got, want) > 1 - 1e-4, text[:40]
    assert float(np.abs(actual - expected).max()) < 1e-4


def test_token_counts_match_reference_tokenizer(embedder: Embedder, reference: dict[str, Any]) -> None:
    assert embedder.count_tokens(reference["texts"]) == reference["token_counts"]


def test_long_text_is_truncated_at_256_word_pieces(embedder: Embedder) -> None:
    long_text = "Learners complete the onboarding module before the quiz. " * 60
    longer = long_text + "Completely different trailing words about volcanoes and submarines. " * 30
    assert embedder.count_tokens([long_text, longer]) == [MAX_TOKENS, MAX_TOKENS]
    a, b = embedder.embed([long_text, longer])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_batch_result_equals_one_by_one_in_input_order(embedder: Embedder) -> None:
    texts = [
        "short",
        "a much longer sentence with many more word pieces in it than the others",
        "",
        "mid length",
    ]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_load_is_cached_and_thread_safe(embedder: Embedder) -> None:
    results: list[np.ndarray] = []
    loaded: list[Embedder] = []

    def work() -> None:
        loaded.append(Embedder.load())
        results.append(Embedder.load().embed(["concurrent call", "from several threads"]))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(e is embedder for e in loaded)
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    source = embeddings.default_model_dir()
    shutil.copy(source / "tokenizer.json", tmp_path / "tokenizer.json")
    data = bytearray((source / "model.safetensors").read_bytes())
    data[-1] ^= 0x01  # one flipped bit in the last weight
    (tmp_path / "model.safetensors").write_bytes(bytes(data))

    with pytest.raises(EmbeddingModelIntegrityError, match="failed the integrity check") as caught:
        Embedder.from_dir(tmp_path)
    assert embeddings.MODEL_SHA256 in caught.value.message
    assert isinstance(caught.value, TutelaError)
    assert caught.value.status_code == 503


def test_tampered_tokenizer_is_refused(tmp_path: Path) -> None:
    source = embeddings.default_model_dir()
    shutil.copy(source / "model.safetensors", tmp_path / "model.safetensors")
    tokenizer = (source / "tokenizer.json").read_text(encoding="utf-8")
    (tmp_path / "tokenizer.json").write_text(tokenizer.replace('"lowercase":true', '"lowercase":false', 1))
    with pytest.raises(EmbeddingModelIntegrityError, match=r"tokenizer\.json failed the integrity check"):
        Embedder.from_dir(tmp_path)


def test_missing_weights_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelUnavailable, match="cannot read embedding model file"):
        Embedder.from_dir(tmp_path)
