"""Train, calibrate and evaluate Tutela's built-in content-safety classifier.

Reproducible: every random choice is seeded from SEED. Reads training/safety/ and the static
embedding table (built once by scripts/distill_safety_embeddings.py), writes the artifact to
src/tutela/gateway/safety/model/ and the evaluation report to docs/safety-model-card.md.
Training needs scikit-learn + scipy (the `train` extra); the shipped runtime needs only numpy (and
`tokenizers`).

    .venv/bin/uv pip install --python .venv/bin/python -e ".[dev,train]"
    .venv/bin/python scripts/distill_safety_embeddings.py   # only when the table is missing
    .venv/bin/python scripts/train_safety.py
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedGroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from safety_data import (  # noqa: E402
    UNKNOWN,
    Example,
    any_unsafe_label,
    book_fold,
    instruction_negatives,
    load_book_passages,
    load_inhouse_benign,
    load_inhouse_benign_extra,
    load_inhouse_harmful,
    load_public,
    synth_indirect,
)

from tutela.gateway.safety.artifact import SafetyModel, load_model, save_model  # noqa: E402
from tutela.gateway.safety.classifier import SafetyClassifier  # noqa: E402
from tutela.gateway.safety.features import DEFAULT_N_BUCKETS, featurize  # noqa: E402
from tutela.gateway.safety.lexicon import LEXICON_HIT_SCORE  # noqa: E402
from tutela.gateway.safety.scores import CATEGORIES, HARM_CATEGORIES  # noqa: E402
from tutela.gateway.safety.static_embeddings import TABLE_FILE, StaticEmbeddings, load_table  # noqa: E402

SEED = 20240611
DATA_DIR = ROOT / "training" / "safety"
MODEL_DIR = ROOT / "src" / "tutela" / "gateway" / "safety" / "model"
CARD_PATH = ROOT / "docs" / "safety-model-card.md"
N_BUCKETS = DEFAULT_N_BUCKETS
CHUNK_SIZE = 1500
CHUNK_STRIDE = 1000
TRAIN_CHAR_CAP = 6000  # long jailbreak templates: the opening carries the signal; bounds train time
# n-gram regularisation per category (the values the earlier {2, 8} grid search settled on).
NGRAM_C = {cat: 8.0 for cat in CATEGORIES} | {"profanity": 2.0}
# Out-of-fold n-gram logits (group folds) feed the embedding head, so it learns how far to trust them.
# Fold 0 is the calibration fold (1/6 of the training split, as the earlier separate calibration split).
# SAFETY_FOLDS=k uses k folds instead (fewer refits on a busy machine; fold 0 is then 1/k of the split).
N_FOLDS = int(os.environ.get("SAFETY_FOLDS", "6"))
HEAD_C_GRID = (0.001, 0.003, 0.01, 0.03)
# Categories whose score combines the n-gram logit with the static sentence embedding (the harm
# categories). Profanity is a closed vocabulary (plus the lexicon) and stays n-gram only; so do the
# attack detectors: for indirect_attack one injected sentence is diluted in the mean over a long
# document (the head lowered its calibration AP), and a jailbreak head raised the detection rate on
# clean BIPIA documents from 6 % to 17 % (long documents resemble long jailbreak templates).
STACKED = HARM_CATEGORIES
# SAFETY_NGRAM_ONLY=1 trains the n-gram-only model (no table, format 1) with the same folds and thresholds.
NGRAM_ONLY = os.environ.get("SAFETY_NGRAM_ONLY") == "1"
# SAFETY_TABLE=path uses another distilled table (default: the one shipped in the model directory).
TABLE_PATH = Path(os.environ.get("SAFETY_TABLE", str(MODEL_DIR / TABLE_FILE)))
INHOUSE_WEIGHT = 4.0
# Severity bands are defined by the false-positive rate they allow on held-out negatives.
SEVERITY_FPR = {"low": 0.05, "medium": 0.01, "high": 0.002}
DETECTION_FPR = {"jailbreak": 0.01, "indirect_attack": 0.01, "profanity": 0.02}
ATTACK_CATEGORIES = ("jailbreak", "indirect_attack")
# SAFETY_SMOKE=N trains on every N-th public row and writes to a scratch dir: a quick end-to-end check.
SMOKE = int(os.environ.get("SAFETY_SMOKE", "0"))
# SAFETY_CANDIDATE=1 adds the joint medium-band tightening (evaluated earlier, not shipped: it halves
# recall). Without it the script reproduces the shipped artifact's recipe.
CANDIDATE = os.environ.get("SAFETY_CANDIDATE") == "1"
# SAFETY_INHOUSE_EXTRA=0 leaves out inhouse_benign_extra.txt (the previous data mix).
INHOUSE_EXTRA = os.environ.get("SAFETY_INHOUSE_EXTRA", "1") != "0"
# SAFETY_OUT_DIR=dir writes model/ and card.md there instead (candidate runs before deciding to ship).
if os.environ.get("SAFETY_OUT_DIR"):
    MODEL_DIR = Path(os.environ["SAFETY_OUT_DIR"]) / "model"
    CARD_PATH = MODEL_DIR.parent / "card.md"
if SMOKE:
    MODEL_DIR = Path(os.environ.get("TMPDIR", "/tmp")) / "tutela-safety-smoke" / "model"
    CARD_PATH = MODEL_DIR.parent / "card.md"
MIN_SOURCE_ROWS = 50  # benign sources smaller than this in the calibration fold are too noisy to bound
# Benign sources that look like product traffic (prompts, documents). Hate-speech corpora's "benign"
# rows (counter-speech, reclaimed slurs) are not bounded separately: no lexical model can meet
# 1 % there, and trying would push thresholds to ~1.0.
BOUNDED_KINDS = (
    "benign_prompts",
    "bipia:clean",
    "inhouse_instruction",
    "inhouse_benign",
    "inhouse_benign_extra",
)
# Medium severity is additionally tightened (all harm categories together) until at most this share of
# ALL benign calibration texts is flagged at medium-or-higher / attack detected.
MEDIUM_UNION_FPR = 0.015
MEDIUM_FPR_GRID = (0.01, 0.007, 0.005, 0.0035, 0.0025, 0.0015, 0.001, 0.0005)
HEAVY_SOURCES = ("inhouse_benign", "inhouse_benign_extra", "inhouse_harmful")
# Long benign prose (book passages, the product's own kind of document): weighted, and bounded far more
# tightly than prompts, because a page is scored as one to three windows and every category and the
# indirect-attack detector each get a chance to fire on it. "high" must never fire on calibration books.
BOOK_KIND = "book_passages"
BOOK_WEIGHT = 2.0
BOOK_SEVERITY_FPR = {"low": 0.02, "medium": 0.002, "high": 0.0}
BOOK_DETECTION_FPR = {"jailbreak": 0.01, "indirect_attack": 0.002, "profanity": 0.02}
# SAFETY_XSRC=0 skips the leave-one-source-out refits (dozens of extra fits; the card then says so).
XSRC = os.environ.get("SAFETY_XSRC", "1") != "0"
# SAFETY_REEVALUATE=results.json skips training: evaluates the artifact in MODEL_DIR and rewrites the card,
# with the training info saved by the run that made it (tutela-safety-results.json).
REEVALUATE = os.environ.get("SAFETY_REEVALUATE", "")
# SAFETY_BOOKS=0 leaves the book passages out (the previous data mix).
BOOKS = os.environ.get("SAFETY_BOOKS", "1") != "0"


def log(msg: str) -> None:
    """Progress output for the person running training (never includes data text)."""
    print(f"[train_safety {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def split_examples(examples: list[Example], seed: int, n_folds: int) -> tuple[list[int], list[int]]:
    """Group-aware stratified split: returns (train indices, held-out indices), held-out ~1/n_folds."""
    free = [i for i, e in enumerate(examples) if e.fixed_split is None]
    sgkf = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    y = [examples[i].kind for i in free]
    groups = [examples[i].group for i in free]
    _, test_pos = next(sgkf.split(np.zeros(len(free)), y, groups))
    test = {free[p] for p in test_pos}
    test |= {i for i, e in enumerate(examples) if e.fixed_split == "test"}
    train = [i for i in range(len(examples)) if i not in test]
    return train, sorted(test)


def feature_matrix(texts: list[str]) -> sp.csr_matrix:
    """CSR matrix of hashed features, one row per text (texts capped at TRAIN_CHAR_CAP chars)."""
    indptr = [0]
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for t in texts:
        f = featurize(t[:TRAIN_CHAR_CAP], N_BUCKETS)
        indices.append(f.indices)
        values.append(f.values)
        indptr.append(indptr[-1] + f.indices.size)
    return sp.csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.array(indptr)),
        shape=(len(texts), N_BUCKETS),
        dtype=np.float32,
    )


def label_vector(examples: list[Example], cat: str) -> np.ndarray:
    """Array of labels (1/0/-1) for one category."""
    return np.array([e.labels[cat] for e in examples], dtype=np.int8)


def fit_lr(x: sp.csr_matrix, y: np.ndarray, c: float, weight: np.ndarray) -> LogisticRegression:
    """L2 logistic regression with balanced class weights (positives are rare for most categories)."""
    clf = LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=200, random_state=SEED
    )
    clf.fit(x, y, sample_weight=weight)
    return clf


def sample_weights(examples: list[Example]) -> np.ndarray:
    """Per-row training weight: the few hand-written contrast examples count INHOUSE_WEIGHT times."""
    weight = {BOOK_KIND: BOOK_WEIGHT} | dict.fromkeys(HEAVY_SOURCES, INHOUSE_WEIGHT)
    return np.array([weight.get(e.source, 1.0) for e in examples])


def fpr_threshold(
    neg_scores: np.ndarray, neg_kinds: np.ndarray, benign: np.ndarray, fpr: float, book_fpr: float
) -> float:
    """Score threshold keeping the false-positive rate <= `fpr` overall and on each BOUNDED_KINDS source,
    and <= `book_fpr` on book passages.

    The per-source condition matters: the negative pool is dominated by tweets and forum posts, and
    a threshold that is fine for them can be far too permissive for short chat-style prompts.
    """
    thr = float(np.quantile(neg_scores, 1.0 - fpr))
    bound_by = "all negatives"
    for kind in (*BOUNDED_KINDS, BOOK_KIND):
        mask = benign & (neg_kinds == kind)
        rate = book_fpr if kind == BOOK_KIND else fpr
        # A source bounds the threshold only when its rows can estimate the quantile: at least
        # MIN_SOURCE_ROWS, and (for a non-zero rate) at least one expected false positive among them.
        if mask.sum() >= max(MIN_SOURCE_ROWS, 1.0 / rate if rate > 0 else 0.0):
            q = float(np.quantile(neg_scores[mask], 1.0 - rate))
            if q > thr:
                thr, bound_by = q, f"{kind} (n={int(mask.sum())})"
    log(f"  threshold at {fpr:.2%} FPR: {thr:.4f}, set by {bound_by}")
    return thr + 1e-6


def monotone(values: list[float]) -> list[float]:
    """Clip to (0, 1) and make the thresholds strictly increasing from the top down: a band is never
    raised by a lower one (a "low" bound set by a few hard negatives must not lift "medium", the default
    filter, above its own calibrated value); a lower band that would sit above the next is put just below
    it instead."""
    out = [round(min(max(v, 1e-4), 0.999), 6) for v in values]
    for i in range(len(out) - 2, -1, -1):
        if out[i] >= out[i + 1]:
            out[i] = round(max(out[i + 1] - 1e-3, 1e-4), 6)
    return out


def any_unsafe_score(scores: np.ndarray, model: SafetyModel) -> np.ndarray:
    """Combine categories into one score: each is rescaled so its medium/detection threshold maps to 0.5."""
    cols = []
    for cat in (*HARM_CATEGORIES, *ATTACK_CATEGORIES):
        k = CATEGORIES.index(cat)
        t = (
            model.harm_thresholds[cat]["medium"]
            if cat in HARM_CATEGORIES
            else model.detection_thresholds[cat]
        )
        s = scores[:, k]
        cols.append(np.where(s < t, 0.5 * s / t, 0.5 + 0.5 * (s - t) / (1.0 - t)))
    return np.max(np.stack(cols, axis=1), axis=1)


def flagged(scores: np.ndarray, model: SafetyModel, level: str) -> np.ndarray:
    """Boolean: any harm category at >= `level` severity or an attack detected."""
    out = np.zeros(scores.shape[0], dtype=bool)
    for cat in HARM_CATEGORIES:
        out |= scores[:, CATEGORIES.index(cat)] >= model.harm_thresholds[cat][level]
    for cat in ATTACK_CATEGORIES:
        out |= scores[:, CATEGORIES.index(cat)] >= model.detection_thresholds[cat]
    return out


def fold_ids(examples: list[Example], seed: int, n_folds: int) -> np.ndarray:
    """Group-aware stratified fold number (0..n_folds-1) of every example; fold 0 is the calibration fold.

    Rows of sources with their own fixed split (BIPIA train, in-house contrast prompts) never land in
    fold 0, as in the earlier separate calibration split: thresholds are calibrated on free rows only.
    """
    free = [i for i, e in enumerate(examples) if e.fixed_split is None]
    fixed = [i for i, e in enumerate(examples) if e.fixed_split is not None]
    sgkf = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    folds = np.zeros(len(examples), dtype=np.int64)
    y = [examples[i].kind for i in free]
    groups = [examples[i].group for i in free]
    for f, (_, rows) in enumerate(sgkf.split(np.zeros(len(free)), y, groups)):
        folds[np.asarray(free)[rows]] = f
    for j, i in enumerate(fixed):
        book = examples[i].meta.get("book")
        # Book passages keep their book together and do reach the calibration fold.
        folds[i] = book_fold(book, n_folds) if book else 1 + j % (n_folds - 1)
    return folds


def embed_texts(table: StaticEmbeddings | None, texts: list[str]) -> np.ndarray:
    """Static sentence vectors (texts capped like the n-gram features); (n, 0) without a table."""
    if table is None:
        return np.zeros((len(texts), 0), dtype=np.float32)
    return table.embed_many([t[:TRAIN_CHAR_CAP] for t in texts])


class Head:
    """Logistic regression over [n-gram logit, standardised embedding] for one category."""

    def __init__(self, logit: np.ndarray, emb: np.ndarray, y: np.ndarray, weight: np.ndarray, c: float):
        self.mean = emb.mean(axis=0)
        self.std = emb.std(axis=0) + 1e-6
        self.clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=SEED)
        self.clf.fit(self._design(logit, emb), y, sample_weight=weight)

    def _design(self, logit: np.ndarray, emb: np.ndarray) -> np.ndarray:
        return np.column_stack([logit, (emb - self.mean) / self.std])

    def score(self, logit: np.ndarray, emb: np.ndarray) -> np.ndarray:
        """Probability-like score, as the runtime computes it."""
        return self.clf.predict_proba(self._design(logit, emb))[:, 1]

    def folded(self) -> tuple[float, np.ndarray, float]:
        """(scale on the n-gram logit, weights on the raw embedding, bias) with standardisation folded in."""
        coef = self.clf.coef_[0]
        w_emb = coef[1:] / self.std
        return float(coef[0]), w_emb, float(self.clf.intercept_[0] - np.dot(w_emb, self.mean))


def oof_logits(
    x: sp.csr_matrix, y: np.ndarray, known: np.ndarray, folds: np.ndarray, c: float, sw: np.ndarray
) -> np.ndarray:
    """Out-of-fold n-gram logits of the `known` rows (0 elsewhere)."""
    out = np.zeros(y.size)
    for f in np.unique(folds[known]):
        tr, te = known & (folds != f), known & (folds == f)
        out[te] = fit_lr(x[tr], y[tr], c, sw[tr]).decision_function(x[te])
    return out


def fit_head(
    oof: np.ndarray, emb: np.ndarray, y: np.ndarray, sw: np.ndarray, fit: np.ndarray, cal: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """Pick the head's C on the calibration rows; returns (C, calibration AP, calibration scores)."""
    best: tuple[float, float, np.ndarray] | None = None
    for hc in HEAD_C_GRID:
        head = Head(oof[fit], emb[fit], y[fit], sw[fit], hc)
        s = head.score(oof[cal], emb[cal])
        ap = float(average_precision_score(y[cal], s))
        log(f"  head C={hc}: calib AP={ap:.3f}")
        if best is None or ap > best[1] + 1e-3:
            best = (hc, ap, s)
    assert best is not None
    return best


def train(
    examples: list[Example], train_idx: list[int], emb_all: np.ndarray, table: StaticEmbeddings | None
) -> tuple[SafetyModel, dict, np.ndarray]:
    """Fit one scorer per category; thresholds come from out-of-fold scores of the calibration fold.

    The training split is cut into N_FOLDS group folds. Every category's n-gram model is fitted
    N_FOLDS times to get out-of-fold logits; the embedding head is fitted on folds 1.. and scores
    fold 0 (calibration) for its C and the severity thresholds, then refitted on all folds. The
    shipped n-gram model is fitted on the whole training split. Returns (model, info, folds).
    """
    train_ex = [examples[i] for i in train_idx]
    folds = fold_ids(train_ex, SEED + 1, N_FOLDS)
    log(f"featurizing {len(train_ex)} training texts")
    x_train = feature_matrix([e.text for e in train_ex])
    emb = emb_all[train_idx]
    sw = sample_weights(train_ex)
    n_cat = len(CATEGORIES)
    weights = np.zeros((N_BUCKETS, n_cat), dtype=np.float32)
    bias = np.zeros(n_cat, dtype=np.float32)
    head_scale = np.ones(n_cat, dtype=np.float32)
    head_emb = np.zeros((emb.shape[1], n_cat), dtype=np.float32)
    head_bias = np.zeros(n_cat, dtype=np.float32)
    harm_thr: dict[str, dict[str, float]] = {}
    det_thr: dict[str, float] = {}
    info: dict = {"C": dict(NGRAM_C), "head_C": {}, "calib_ap": {}, "calib_ap_ngram": {}, "n_folds": N_FOLDS}
    cal_all = folds == 0
    benign_cal = np.flatnonzero(cal_all & np.array([e.benign for e in train_ex]))
    benign_cal_scores = np.zeros((benign_cal.size, n_cat))
    neg_by_cat: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for k, cat in enumerate(CATEGORIES):
        y = label_vector(train_ex, cat)
        known = y != UNKNOWN
        c = NGRAM_C[cat]
        log(f"{cat}: out-of-fold n-gram logits (n={int(known.sum())}, pos={int((y == 1).sum())})")
        oof = oof_logits(x_train, y, known, folds, c, sw)
        fit, cal = known & ~cal_all, known & cal_all
        ngram_cal = 1.0 / (1.0 + np.exp(-oof[cal]))
        info["calib_ap_ngram"][cat] = float(average_precision_score(y[cal], ngram_cal))
        if table is not None and cat in STACKED:
            hc, ap, cal_scores = fit_head(oof, emb, y, sw, fit, cal)
            head = Head(oof[known], emb[known], y[known], sw[known], hc)
            head_scale[k], head_emb[:, k], head_bias[k] = head.folded()
            info["head_C"][cat] = hc
        else:
            ap, cal_scores = info["calib_ap_ngram"][cat], ngram_cal
        info["calib_ap"][cat] = ap
        log(f"{cat}: calib AP n-gram {info['calib_ap_ngram'][cat]:.3f} -> model {ap:.3f}")
        cal_rows = np.flatnonzero(cal)
        is_neg = y[cal_rows] == 0
        neg = cal_scores[is_neg]
        neg_ex = [train_ex[i] for i in cal_rows[is_neg]]
        kinds = np.array([e.kind for e in neg_ex])
        benign = np.array([e.benign for e in neg_ex])
        pos_in_cal = {int(r): j for j, r in enumerate(cal_rows)}
        # Benign rows can still be unknown for profanity (e.g. reclaimed slurs); those stay 0 here.
        benign_cal_scores[:, k] = [
            cal_scores[pos_in_cal[int(r)]] if int(r) in pos_in_cal else 0.0 for r in benign_cal
        ]
        neg_by_cat[cat] = (neg, kinds, benign)
        if cat in HARM_CATEGORIES:
            vals = monotone(
                [
                    fpr_threshold(neg, kinds, benign, SEVERITY_FPR[lv], BOOK_SEVERITY_FPR[lv])
                    for lv in ("low", "medium", "high")
                ]
            )
            harm_thr[cat] = dict(zip(("low", "medium", "high"), vals, strict=True))
        else:
            thr = fpr_threshold(neg, kinds, benign, DETECTION_FPR[cat], BOOK_DETECTION_FPR[cat])
            det_thr[cat] = monotone([thr])[0]
            if cat == "profanity":
                # A lexicon hit must always count as detected.
                det_thr[cat] = min(det_thr[cat], LEXICON_HIT_SCORE - 0.05)
        final = fit_lr(x_train[known], y[known], c, sw[known])
        weights[:, k] = final.coef_[0]
        bias[k] = final.intercept_[0]
    if CANDIDATE:
        info["medium_fpr"] = joint_medium(harm_thr, det_thr, neg_by_cat, benign_cal_scores)
    model = SafetyModel(
        weights=weights,
        bias=bias,
        n_buckets=N_BUCKETS,
        chunk_size=CHUNK_SIZE,
        chunk_stride=CHUNK_STRIDE,
        harm_thresholds=harm_thr,
        detection_thresholds=det_thr,
        embeddings=table,
        head_scale=head_scale if table is not None else None,
        head_embedding=head_emb if table is not None else None,
        head_bias=head_bias if table is not None else None,
    )
    return model, info, folds


def joint_medium(
    harm_thr: dict[str, dict[str, float]],
    det_thr: dict[str, float],
    neg_by_cat: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    benign_scores: np.ndarray,
) -> float:
    """Tighten the medium bands together until <= MEDIUM_UNION_FPR of benign calibration texts are flagged.

    Per-category 1 % bounds add up across four categories and two detectors (the old model flagged
    4.2 % of held-out benign text), so the per-category FPR target is lowered step by step.
    Updates `harm_thr` in place and returns the per-category FPR finally used.
    """
    attack = np.zeros(benign_scores.shape[0], dtype=bool)
    for cat in ATTACK_CATEGORIES:
        attack |= benign_scores[:, CATEGORIES.index(cat)] >= det_thr[cat]
    # The detectors have their own bounds; if they alone flag more than the target, only ask the
    # harm bands to add at most half a point on top of them.
    target = max(MEDIUM_UNION_FPR, float(attack.mean()) + 0.005)
    log(f"joint medium: detectors alone flag {attack.mean():.4f} of benign calibration texts")
    chosen = MEDIUM_FPR_GRID[-1]
    for f in MEDIUM_FPR_GRID:
        flagged_rows = attack.copy()
        for cat in HARM_CATEGORIES:
            neg, kinds, benign = neg_by_cat[cat]
            t = max(
                fpr_threshold(neg, kinds, benign, f, BOOK_SEVERITY_FPR["medium"]), harm_thr[cat]["medium"]
            )
            flagged_rows |= benign_scores[:, CATEGORIES.index(cat)] >= t
        log(f"joint medium: per-category FPR {f} -> benign calibration flag rate {flagged_rows.mean():.4f}")
        if flagged_rows.mean() <= target:
            chosen = f
            break
    for cat in HARM_CATEGORIES:
        neg, kinds, benign = neg_by_cat[cat]
        thr = harm_thr[cat]
        med = max(fpr_threshold(neg, kinds, benign, chosen, BOOK_SEVERITY_FPR["medium"]), thr["medium"])
        high_fpr = min(SEVERITY_FPR["high"], chosen / 2)
        high = max(fpr_threshold(neg, kinds, benign, high_fpr, BOOK_SEVERITY_FPR["high"]), thr["high"])
        harm_thr[cat] = dict(zip(("low", "medium", "high"), monotone([thr["low"], med, high]), strict=True))
    return chosen


def logits_of(clf: LogisticRegression, x: sp.csr_matrix, mask: np.ndarray) -> np.ndarray:
    """Decision values of the rows selected by `mask` (empty if none)."""
    return clf.decision_function(x[mask]) if mask.any() else np.zeros(0)


def cross_source(
    examples: list[Example],
    train_idx: list[int],
    test_idx: list[int],
    folds: np.ndarray,
    emb_all: np.ndarray,
    head_c: dict[str, float],
) -> tuple[list, list]:
    """Leave-one-source-out: train without a positive source, then score that source's positives.

    Returns (rows for this recipe, rows for the n-gram-only model fitted in the same loop). Both use
    the same training rows, folds and negatives; with `stacked` the embedding head is fitted on
    out-of-fold n-gram logits of the remaining sources, as in `train` (with the C chosen there).
    """
    rows: list = []
    ngram_rows: list = []
    tr = [examples[i] for i in train_idx]
    te = [examples[i] for i in test_idx]
    x_tr = feature_matrix([e.text for e in tr])
    x_te = feature_matrix([e.text for e in te])
    e_tr, e_te = emb_all[train_idx], emb_all[test_idx]
    sw = sample_weights(tr)
    src_tr = np.array([e.source for e in tr])
    src_te = np.array([e.source for e in te])
    for cat in (*HARM_CATEGORIES, *ATTACK_CATEGORIES):
        y_tr, y_te = label_vector(tr, cat), label_vector(te, cat)
        pos_sources = Counter(e.source for e in examples if e.labels[cat] == 1 and not e.eval_only)
        for source, n_pos in sorted(pos_sources.items()):
            if n_pos < 80 or len(pos_sources) < 2:
                continue
            keep = (src_tr != source) & (y_tr != UNKNOWN)
            c = NGRAM_C[cat]
            clf = fit_lr(x_tr[keep], y_tr[keep], c, sw[keep])
            # Positives: the held-out source (all its rows, none were trained on). Negatives: test split.
            pos_tr = (src_tr == source) & (y_tr == 1)
            pos_te = (src_te == source) & (y_te == 1)
            neg_te = (y_te == 0) & (src_te != source)
            ng_pos = np.r_[logits_of(clf, x_tr, pos_tr), logits_of(clf, x_te, pos_te)]
            ng_neg = logits_of(clf, x_te, neg_te)
            results = [(ngram_rows, ng_pos, ng_neg)]
            if cat in head_c:
                oof = oof_logits(x_tr, y_tr, keep, folds, c, sw)
                head = Head(oof[keep], e_tr[keep], y_tr[keep], sw[keep], head_c[cat])
                s_pos = head.score(ng_pos, np.r_[e_tr[pos_tr], e_te[pos_te]])
                s_neg = head.score(ng_neg, e_te[neg_te])
                results.append((rows, s_pos, s_neg))
            else:
                results.append((rows, ng_pos, ng_neg))
            for out, s_pos, s_neg in results:
                thr = float(np.quantile(s_neg, 0.99))
                y = np.r_[np.ones(s_pos.size), np.zeros(s_neg.size)]
                ap = float(average_precision_score(y, np.r_[s_pos, s_neg]))
                out.append((cat, source, s_pos.size, s_neg.size, ap, float((s_pos > thr).mean())))
            ap_ng, ap_model = ngram_rows[-1][4], rows[-1][4]
            log(f"cross-source {cat} without {source}: AP n-gram={ap_ng:.3f} model={ap_model:.3f}")
    return rows, ngram_rows


def evaluate(
    clf: SafetyClassifier, examples: list[Example], test_idx: list[int], extra: list[Example]
) -> dict:
    """Metrics of the shipped artifact (runtime code path: chunking + lexicon) on held-out data."""
    model = clf.model
    test = [examples[i] for i in test_idx] + extra
    scores = clf.score_matrix([e.text for e in test])
    res: dict = {"per_cat": {}, "benign_fpr": {}, "by_source_fpr": {}}
    for cat in CATEGORIES:
        y = label_vector(test, cat)
        m = y != UNKNOWN
        if y[m].sum() == 0:
            continue
        s = scores[m, CATEGORIES.index(cat)]
        if cat in HARM_CATEGORIES:
            pred = s >= model.harm_thresholds[cat]["medium"]
        else:
            pred = s >= model.detection_thresholds[cat]
        yy = y[m]
        res["per_cat"][cat] = {
            "ap": float(average_precision_score(yy, s)),
            "n_pos": int(yy.sum()),
            "n_neg": int((yy == 0).sum()),
            "recall": float(pred[yy == 1].mean()),
            "precision": float(pred[yy == 1].sum() / max(pred.sum(), 1)),
            "fpr": float(pred[yy == 0].mean()),
        }
    y_any = np.array([any_unsafe_label(e) for e in test])
    m = y_any != UNKNOWN
    any_s = any_unsafe_score(scores, model)
    res["any_unsafe"] = {
        "ap": float(average_precision_score(y_any[m], any_s[m])),
        "n_pos": int(y_any[m].sum()),
        "n_neg": int((y_any[m] == 0).sum()),
    }
    benign = np.array([e.benign and not e.eval_only for e in test])
    for level in ("low", "medium"):
        res["benign_fpr"][level] = float(flagged(scores[benign], model, level).mean())
    prof = scores[benign, CATEGORIES.index("profanity")] >= model.detection_thresholds["profanity"]
    res["benign_profanity_rate"] = float(prof.mean())
    res["n_benign"] = int(benign.sum())
    by_src = defaultdict(list)
    for i, e in enumerate(test):
        if benign[i]:
            by_src[e.kind].append(i)
    for kind, idx in sorted(by_src.items()):
        res["by_source_fpr"][kind] = (len(idx), float(flagged(scores[idx], model, "medium").mean()))

    # Never-trained evaluation sets.
    ev = [e for e in examples if e.eval_only]
    ev_scores = clf.score_matrix([e.text for e in ev])
    xs = [i for i, e in enumerate(ev) if e.source == "xstest"]
    xs_safe = [i for i in xs if ev[i].meta["label"] == "safe"]
    xs_unsafe = [i for i in xs if ev[i].meta["label"] == "unsafe"]
    res["xstest"] = {
        "n_safe": len(xs_safe),
        "fpr_low": float(flagged(ev_scores[xs_safe], model, "low").mean()),
        "fpr_medium": float(flagged(ev_scores[xs_safe], model, "medium").mean()),
        "recall_unsafe_medium": float(flagged(ev_scores[xs_unsafe], model, "medium").mean()),
        "ap": float(
            average_precision_score(
                [0] * len(xs_safe) + [1] * len(xs_unsafe),
                any_unsafe_score(ev_scores[xs_safe + xs_unsafe], model),
            )
        ),
        "by_type": {},
    }
    types = Counter(ev[i].meta["type"] for i in xs_safe)
    for t in sorted(types):
        idx = [i for i in xs_safe if ev[i].meta["type"] == t]
        res["xstest"]["by_type"][t] = float(flagged(ev_scores[idx], model, "medium").mean())
    rtp = [i for i, e in enumerate(ev) if e.source == "rtp_challenging"]
    res["rtp"] = {}
    for cat in sorted({ev[i].meta["category"] for i in rtp}):
        idx = [i for i in rtp if ev[i].meta["category"] == cat]
        s = ev_scores[idx, CATEGORIES.index(cat)]
        res["rtp"][cat] = (len(idx), float((s >= model.harm_thresholds[cat]["low"]).mean()))
    sst = [i for i, e in enumerate(ev) if e.source == "simplesafetytests"]
    res["sst"] = {}
    for area in sorted({ev[i].meta["harm_area"] for i in sst}):
        idx = [i for i in sst if ev[i].meta["harm_area"] == area]
        res["sst"][area] = (len(idx), float(flagged(ev_scores[idx], model, "medium").mean()))
    return res


def main() -> None:
    """Run the whole pipeline."""
    random.seed(SEED)
    np.random.seed(SEED)
    public = load_public(DATA_DIR)
    if SMOKE:
        public = public[::SMOKE]
    inhouse = load_inhouse_benign(DATA_DIR)
    examples = public + inhouse + load_inhouse_harmful(DATA_DIR)
    if INHOUSE_EXTRA:
        examples += load_inhouse_benign_extra(DATA_DIR)
    if BOOKS:
        examples += load_book_passages(DATA_DIR)
    candidates = [i for i, e in enumerate(examples) if not e.eval_only]
    sub = [examples[i] for i in candidates]
    tr_pos, te_pos = split_examples(sub, SEED, n_folds=5)
    train_idx = [candidates[p] for p in tr_pos]
    test_idx = [candidates[p] for p in te_pos]
    test_set = set(test_idx)

    def contexts(inside: bool) -> list[str]:
        return [
            e.text
            for i, e in enumerate(examples)
            if e.kind in ("bipia:clean", "benign_prompts")
            and len(e.text) > 150
            and ((i in test_set) == (not inside))
        ]

    inj_train, inj_test, _held = synth_indirect(DATA_DIR, contexts(inside=True), contexts(inside=False), SEED)
    ins_train = instruction_negatives(DATA_DIR, contexts(inside=True), SEED, n=300)
    ins_test = instruction_negatives(DATA_DIR, contexts(inside=False), SEED + 1, n=100)
    base = len(examples)
    examples.extend(inj_train + ins_train)
    train_idx.extend(range(base, base + len(inj_train) + len(ins_train)))
    base = len(examples)
    examples.extend(ins_test)
    test_idx.extend(range(base, base + len(ins_test)))
    n_tr, n_te, n_syn = len(train_idx), len(test_idx), len(inj_test)
    log(f"examples: {len(examples)} (train {n_tr}, test {n_te}, synthetic test {n_syn})")

    table = None if NGRAM_ONLY else load_table(TABLE_PATH)
    log(f"static embeddings: {'none (n-gram only)' if table is None else TABLE_PATH}")
    emb_all = embed_texts(table, [e.text for e in examples])
    if REEVALUATE:
        # Evaluate the artifact already in MODEL_DIR with the training info of the run that wrote it.
        info = json.loads(Path(REEVALUATE).read_text(encoding="utf-8"))["info"]
        model = load_model(MODEL_DIR)
        folds = np.zeros(0, dtype=np.int64)
    else:
        model, info, folds = train(examples, train_idx, emb_all, table)
        if table is not None and TABLE_PATH.resolve() != (MODEL_DIR / TABLE_FILE).resolve():
            MODEL_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(TABLE_PATH, MODEL_DIR / TABLE_FILE)
        meta = {
            "seed": SEED,
            "trained_with": "scripts/train_safety.py",
            "severity_fpr_targets": SEVERITY_FPR,
            "detection_fpr_targets": DETECTION_FPR,
            "regularization_C": info["C"],
            "head_C": info["head_C"],
            "profanity_lexicon": "tutela.gateway.safety.lexicon (max with model score)",
        }
        save_model(model, MODEL_DIR, meta)
        log(f"artifact written to {MODEL_DIR}")
    SafetyClassifier.clear_cache()
    clf = SafetyClassifier.load(MODEL_DIR)

    res = evaluate(clf, examples, test_idx, [])
    inj_scores = clf.score_matrix([e.text for e in inj_test])
    res["synthetic_injection_recall"] = float(
        (
            inj_scores[:, CATEGORIES.index("indirect_attack")]
            >= model.detection_thresholds["indirect_attack"]
        ).mean()
    )
    res["n_synth"] = len(inj_test)
    xsrc: list = []
    xsrc_ngram: list = []
    if XSRC:
        log("cross-source validation")
        xsrc, xsrc_ngram = cross_source(examples, train_idx, test_idx, folds, emb_all, info["head_C"])
    res["xsrc_ngram"] = xsrc_ngram
    baseline_dir = os.environ.get("SAFETY_BASELINE_DIR")
    if baseline_dir:
        # The previous artifact on exactly the same held-out rows; leave-one-source-out "before" is
        # the n-gram-only model fitted in the same loop (same rows, folds and negatives).
        log(f"evaluating baseline artifact {baseline_dir}")
        base_clf = SafetyClassifier(load_model(Path(baseline_dir)))
        res["before"] = evaluate(base_clf, examples, test_idx, [])
        res["xsrc_before"] = xsrc_ngram

    # Raw results next to the card so the card can be re-rendered without retraining.
    results_path = Path(os.environ.get("TMPDIR", "/tmp")) / "tutela-safety-results.json"
    results_path.write_text(json.dumps({"res": res, "xsrc": xsrc, "info": info}, default=float))

    from safety_card import write_card
    from safety_card_static import amend_card
    from safety_cascade_eval import END as CASCADE_END
    from safety_cascade_eval import START as CASCADE_START
    from safety_encoder_card import END, START

    shipped_card = ROOT / "docs" / "safety-model-card.md"
    previous = shipped_card.read_text(encoding="utf-8") if shipped_card.exists() else ""
    write_card(CARD_PATH, examples, train_idx, test_idx, model, info, res, xsrc, MODEL_DIR)
    amend_card(CARD_PATH, model, info, res, MODEL_DIR, STACKED)
    for start, end in ((START, END), (CASCADE_START, CASCADE_END)):
        # The encoder and cascade sections are written by train_safety_encoder.py and
        # safety_cascade_eval.py; keep them as they were.
        if start in previous and end in previous:
            section = previous[previous.index(start) : previous.index(end) + len(end)]
            with CARD_PATH.open("a", encoding="utf-8") as fh:
                fh.write(f"\n{section}\n")
    log(f"model card written to {CARD_PATH}")


if __name__ == "__main__":
    main()
