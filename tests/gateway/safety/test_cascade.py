"""The gateway's cascade: the n-gram model first, the int8 encoder only for categories it is unsure of."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from tutela.gateway.providers.extractive import embeddings
from tutela.gateway.providers.extractive.embeddings import Embedder, default_model_dir
from tutela.gateway.providers.extractive.exceptions import EmbeddingModelIntegrityError
from tutela.gateway.safety import cascade
from tutela.gateway.safety.artifact import DEFAULT_MODEL_DIR, load_model
from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.scores import CATEGORIES, HARM_CATEGORIES

DATA = Path(__file__).resolve().parents[3] / "training" / "safety"
HARM_INDICES = [CATEGORIES.index(c) for c in HARM_CATEGORIES]


@pytest.fixture(scope="module")
def ngram() -> SafetyClassifier:
    return SafetyClassifier(load_model(DEFAULT_MODEL_DIR), cache_size=0)


@pytest.fixture(scope="module")
def cascaded() -> SafetyClassifier:
    return SafetyClassifier(load_model(DEFAULT_MODEL_DIR), DEFAULT_MODEL_DIR, cache_size=0)


def _prompts() -> list[str]:
    """Real ordinary prompts and harmful requests from the training data (a fixed sample)."""
    with gzip.open(DATA / "benign_prompts.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        benign = [row["text"] for row in csv.DictReader(fh)][:150]
    lines = (DATA / "inhouse_taxonomy.txt").read_text(encoding="utf-8").splitlines()
    harmful = [ln.split("\t", 1)[1] for ln in lines if "\t" in ln and not ln.startswith(("#", "benign"))]
    return benign + harmful[:80]


def _unsure(ngram: SafetyClassifier, text: str) -> list[int]:
    return cascade.uncertain(ngram.banded(ngram.score_matrix([text]))[0], HARM_INDICES)


def test_only_uncertain_texts_are_escalated(ngram: SafetyClassifier, cascaded: SafetyClassifier) -> None:
    texts = _prompts()
    results = cascaded.classify(texts)
    escalated = [r.escalated for r in results]
    # Some texts go to the encoder, most do not: neither "always" nor "never".
    assert 0 < sum(escalated) < len(texts) // 4, sum(escalated)
    for text, result in zip(texts, results, strict=True):
        assert result.escalated == bool(_unsure(ngram, text)), text


def test_certain_verdicts_are_the_ngram_models(ngram: SafetyClassifier, cascaded: SafetyClassifier) -> None:
    texts = _prompts()
    for text, plain, screened in zip(texts, ngram.classify(texts), cascaded.classify(texts), strict=True):
        unsure = {CATEGORIES[k] for k in _unsure(ngram, text)}
        for cat in HARM_CATEGORIES:
            if cat not in unsure:
                assert screened.harm(cat) == plain.harm(cat), (text, cat)
        assert screened.taxonomy is None  # OpenAI's taxonomy is /v1/moderations' business
        assert screened.jailbreak == plain.jailbreak and screened.indirect_attack == plain.indirect_attack


def test_an_escalated_category_takes_the_encoders_score(
    ngram: SafetyClassifier, cascaded: SafetyClassifier
) -> None:
    texts = [t for t in _prompts() if _unsure(ngram, t)]
    assert texts
    changed = 0
    for plain, screened in zip(ngram.classify(texts), cascaded.classify(texts), strict=True):
        changed += any(screened.harm(c).score != plain.harm(c).score for c in HARM_CATEGORIES)
        for cat in HARM_CATEGORIES:
            assert 0.0 <= screened.harm(cat).score <= 1.0
    assert changed == len(texts)


def test_a_model_without_encoder_never_escalates(ngram: SafetyClassifier) -> None:
    assert not any(r.escalated for r in ngram.classify(_prompts()))


def test_sentence_windows_cover_the_text_in_bounded_pieces() -> None:
    text = "First sentence here. " * 40 + "\n" + "x" * 300
    windows = cascade.sentence_windows(text)
    assert all(len(w) <= max(cascade.SENTENCE_CHARS, 300) for w in windows)
    assert "".join(windows).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    assert cascade.sentence_windows("") == [""]


def test_band_scores_map_back_onto_the_raw_scale(cascaded: SafetyClassifier) -> None:
    raw = np.array([[0.1, 0.3, 0.6, 0.9, 0.2, 0.4, 0.7]])
    bands = cascaded.banded(raw)[0]
    knots = [
        ([0.0, t["low"], t["medium"], t["high"], 1.0], [0.0, 0.25, 0.5, 0.75, 1.0])
        for t in (cascaded.model.harm_thresholds[c] for c in HARM_CATEGORIES)
    ]
    for k, knot in enumerate(knots):
        assert cascade.to_raw(float(bands[k]), knot) == pytest.approx(raw[0, k], abs=1e-9)


def _copy_minilm(tmp_path: Path) -> Path:
    target = tmp_path / "minilm"
    shutil.copytree(default_model_dir(), target)
    return target


def test_tampered_weights_never_become_an_int8_encoder(tmp_path: Path) -> None:
    model_dir = _copy_minilm(tmp_path)
    weights = model_dir / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(EmbeddingModelIntegrityError, match="integrity check"):
        Embedder.from_dir(model_dir, quantized=True)


def test_int8_weights_that_differ_from_the_pinned_digest_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Same verified float weights, but the rounding yields other bytes than the pinned ones (as a changed
    # numpy rounding rule or a corrupted build would): refused, not silently used.
    monkeypatch.setattr(embeddings, "QUANTIZED_SHA256", "0" * 64)
    with pytest.raises(EmbeddingModelIntegrityError, match="int8"):
        Embedder.from_dir(default_model_dir(), quantized=True)


def test_int8_vectors_stay_close_to_the_float_ones() -> None:
    texts = ["How do I kill a Python process?", "I will hurt you after work.", "Photosynthesis in plants."]
    fp32, int8 = Embedder.load().embed(texts), Embedder.load(quantized=True).embed(texts)
    assert np.all((fp32 * int8).sum(axis=1) > 0.98)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
