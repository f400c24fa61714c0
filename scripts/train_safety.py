"""Train, calibrate and evaluate Tutela's built-in content-safety classifier.

Reproducible: every random choice is seeded from SEED. Reads training/safety/, writes the
artifact to src/tutela/gateway/safety/model/ and the evaluation report to
docs/safety-model-card.md. Training needs scikit-learn + scipy; the shipped runtime needs
only numpy.

    .venv/bin/python scripts/train_safety.py
"""

from __future__ import annotations

import json
import os
import random
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
    instruction_negatives,
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

SEED = 20240611
DATA_DIR = ROOT / "training" / "safety"
MODEL_DIR = ROOT / "src" / "tutela" / "gateway" / "safety" / "model"
CARD_PATH = ROOT / "docs" / "safety-model-card.md"
N_BUCKETS = DEFAULT_N_BUCKETS
CHUNK_SIZE = 1500
CHUNK_STRIDE = 1000
TRAIN_CHAR_CAP = 6000  # long jailbreak templates: the opening carries the signal; bounds train time
C_GRID = (2.0, 8.0)
INHOUSE_WEIGHT = 4.0
# Severity bands are defined by the false-positive rate they allow on held-out negatives.
SEVERITY_FPR = {"low": 0.05, "medium": 0.01, "high": 0.002}
DETECTION_FPR = {"jailbreak": 0.01, "indirect_attack": 0.01, "profanity": 0.02}
ATTACK_CATEGORIES = ("jailbreak", "indirect_attack")
# SAFETY_SMOKE=N trains on every N-th public row and writes to a scratch dir: a quick end-to-end check.
SMOKE = int(os.environ.get("SAFETY_SMOKE", "0"))
# SAFETY_CANDIDATE=1 trains the evaluated-but-not-shipped v2 candidate: + inhouse_benign_extra.txt and
# the joint medium-band tightening. Without it the script reproduces the shipped artifact's recipe.
CANDIDATE = os.environ.get("SAFETY_CANDIDATE") == "1"
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
    return np.array([INHOUSE_WEIGHT if e.source in HEAVY_SOURCES else 1.0 for e in examples])


def fpr_threshold(neg_scores: np.ndarray, neg_kinds: np.ndarray, benign: np.ndarray, fpr: float) -> float:
    """Score threshold keeping the false-positive rate <= `fpr` overall and on each BOUNDED_KINDS source.

    The per-source condition matters: the negative pool is dominated by tweets and forum posts, and
    a threshold that is fine for them can be far too permissive for short chat-style prompts.
    """
    thr = float(np.quantile(neg_scores, 1.0 - fpr))
    for kind in BOUNDED_KINDS:
        mask = benign & (neg_kinds == kind)
        if mask.sum() >= MIN_SOURCE_ROWS:
            thr = max(thr, float(np.quantile(neg_scores[mask], 1.0 - fpr)))
    return thr + 1e-6


def monotone(values: list[float]) -> list[float]:
    """Clip to (0, 1) and force strictly increasing thresholds."""
    out: list[float] = []
    for v in values:
        v = min(max(v, 1e-4), 0.999)
        if out and v <= out[-1]:
            v = min(out[-1] + 1e-3, 0.9995)
        out.append(round(v, 6))
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


def train(examples: list[Example], train_idx: list[int], test_idx: list[int]) -> tuple[SafetyModel, dict]:
    """Fit one scorer per category; choose C and thresholds on a calibration fold of the training split."""
    train_ex = [examples[i] for i in train_idx]
    fit_pos, cal_pos = split_examples(train_ex, SEED + 1, n_folds=6)
    log(f"featurizing {len(train_ex)} training texts")
    x_train = feature_matrix([e.text for e in train_ex])
    sw = sample_weights(train_ex)
    weights = np.zeros((N_BUCKETS, len(CATEGORIES)), dtype=np.float32)
    bias = np.zeros(len(CATEGORIES), dtype=np.float32)
    harm_thr: dict[str, dict[str, float]] = {}
    det_thr: dict[str, float] = {}
    info: dict = {"C": {}, "calib_ap": {}}
    fit_arr, cal_arr = np.array(fit_pos), np.array(cal_pos)
    # Calibration scores of texts that are negative for every category, for the joint medium bound.
    benign_cal = np.array([i for i in cal_pos if train_ex[i].benign])
    benign_cal_scores = np.zeros((benign_cal.size, len(CATEGORIES)))
    neg_by_cat: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for k, cat in enumerate(CATEGORIES):
        y = label_vector(train_ex, cat)
        fit_rows = fit_arr[y[fit_arr] != UNKNOWN]
        cal_rows = cal_arr[y[cal_arr] != UNKNOWN]
        best: tuple[float, float, np.ndarray] | None = None
        for c in C_GRID:
            clf = fit_lr(x_train[fit_rows], y[fit_rows], c, sw[fit_rows])
            cal_scores = clf.predict_proba(x_train[cal_rows])[:, 1]
            ap = float(average_precision_score(y[cal_rows], cal_scores))
            log(f"{cat}: C={c} calib AP={ap:.3f} (fit n={fit_rows.size}, pos={int(y[fit_rows].sum())})")
            if best is None or ap > best[0] + 1e-3:
                best = (ap, c, cal_scores)
        assert best is not None
        ap, c, cal_scores = best
        info["C"][cat], info["calib_ap"][cat] = c, ap
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
                [fpr_threshold(neg, kinds, benign, SEVERITY_FPR[lv]) for lv in ("low", "medium", "high")]
            )
            harm_thr[cat] = dict(zip(("low", "medium", "high"), vals, strict=True))
        else:
            det_thr[cat] = monotone([fpr_threshold(neg, kinds, benign, DETECTION_FPR[cat])])[0]
            if cat == "profanity":
                # A lexicon hit must always count as detected.
                det_thr[cat] = min(det_thr[cat], LEXICON_HIT_SCORE - 0.05)
        all_rows = np.concatenate([fit_rows, cal_rows])
        final = fit_lr(x_train[all_rows], y[all_rows], c, sw[all_rows])
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
    )
    return model, info


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
            t = max(fpr_threshold(neg, kinds, benign, f), harm_thr[cat]["medium"])
            flagged_rows |= benign_scores[:, CATEGORIES.index(cat)] >= t
        log(f"joint medium: per-category FPR {f} -> benign calibration flag rate {flagged_rows.mean():.4f}")
        if flagged_rows.mean() <= target:
            chosen = f
            break
    for cat in HARM_CATEGORIES:
        neg, kinds, benign = neg_by_cat[cat]
        thr = harm_thr[cat]
        med = max(fpr_threshold(neg, kinds, benign, chosen), thr["medium"])
        high = max(fpr_threshold(neg, kinds, benign, min(SEVERITY_FPR["high"], chosen / 2)), thr["high"])
        harm_thr[cat] = dict(zip(("low", "medium", "high"), monotone([thr["low"], med, high]), strict=True))
    return chosen


def cross_source(
    examples: list[Example],
    train_idx: list[int],
    test_idx: list[int],
    c_by_cat: dict,
    exclude: tuple[str, ...] = (),
) -> list:
    """Leave-one-source-out: train without a positive source, then score that source's positives.

    `exclude` drops whole sources from training (used to reproduce the previous data mix on the same
    evaluation rows).
    """
    rows = []
    train_idx = [i for i in train_idx if examples[i].source not in exclude]
    tr = [examples[i] for i in train_idx]
    te = [examples[i] for i in test_idx]
    x_tr = feature_matrix([e.text for e in tr])
    x_te = feature_matrix([e.text for e in te])
    for cat in (*HARM_CATEGORIES, *ATTACK_CATEGORIES):
        y_tr, y_te = label_vector(tr, cat), label_vector(te, cat)
        pos_sources = Counter(e.source for e in examples if e.labels[cat] == 1 and not e.eval_only)
        for source, n_pos in sorted(pos_sources.items()):
            if n_pos < 80 or len(pos_sources) < 2:
                continue
            keep = np.array([i for i, e in enumerate(tr) if e.source != source and y_tr[i] != UNKNOWN])
            clf = fit_lr(x_tr[keep], y_tr[keep], c_by_cat[cat], sample_weights(tr)[keep])
            # Positives: the held-out source (all its rows, none were trained on). Negatives: test split.
            src_rows = [i for i, e in enumerate(tr) if e.source == source and y_tr[i] == 1]
            src_te = [i for i, e in enumerate(te) if e.source == source and y_te[i] == 1]
            neg_rows = np.array([i for i, e in enumerate(te) if y_te[i] == 0 and e.source != source])
            parts = [
                clf.predict_proba(x[rows])[:, 1] for x, rows in ((x_tr, src_rows), (x_te, src_te)) if rows
            ]
            s_pos = np.concatenate(parts)
            s_neg = clf.predict_proba(x_te[neg_rows])[:, 1]
            thr = float(np.quantile(s_neg, 0.99))
            y = np.r_[np.ones(s_pos.size), np.zeros(s_neg.size)]
            ap = float(average_precision_score(y, np.r_[s_pos, s_neg]))
            rows.append((cat, source, s_pos.size, s_neg.size, ap, float((s_pos > thr).mean())))
            log(f"cross-source {cat} without {source}: AP={ap:.3f}")
    return rows


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
    if CANDIDATE:
        examples += load_inhouse_benign_extra(DATA_DIR)
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

    model, info = train(examples, train_idx, test_idx)
    meta = {
        "seed": SEED,
        "trained_with": "scripts/train_safety.py",
        "severity_fpr_targets": SEVERITY_FPR,
        "detection_fpr_targets": DETECTION_FPR,
        "regularization_C": info["C"],
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
    log("cross-source validation")
    xsrc = cross_source(examples, train_idx, test_idx, info["C"])
    baseline_dir = os.environ.get("SAFETY_BASELINE_DIR")
    if baseline_dir:
        # The previous artifact on exactly the same held-out rows, and the previous data mix
        # (no inhouse_benign_extra) in the leave-one-source-out protocol.
        log(f"evaluating baseline artifact {baseline_dir}")
        base_clf = SafetyClassifier(load_model(Path(baseline_dir)))
        res["before"] = evaluate(base_clf, examples, test_idx, [])
        if os.environ.get("SAFETY_BASELINE_XSRC"):
            # Previous run's leave-one-source-out rows (JSON list, same protocol), to save retraining.
            res["xsrc_before"] = json.loads(Path(os.environ["SAFETY_BASELINE_XSRC"]).read_text())
        else:
            res["xsrc_before"] = cross_source(
                examples, train_idx, test_idx, info["C"], exclude=("inhouse_benign_extra",)
            )

    # Raw results next to the card so the card can be re-rendered without retraining.
    results_path = Path(os.environ.get("TMPDIR", "/tmp")) / "tutela-safety-results.json"
    results_path.write_text(json.dumps({"res": res, "xsrc": xsrc, "info": info}, default=float))

    from safety_card import write_card

    write_card(CARD_PATH, examples, train_idx, test_idx, model, info, res, xsrc, MODEL_DIR)
    log(f"model card written to {CARD_PATH}")


if __name__ == "__main__":
    main()
