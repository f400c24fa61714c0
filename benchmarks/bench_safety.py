"""Latency and throughput of the built-in safety classifier, against a plain regex baseline and, in the
same run, against today's n-gram model alone (or a baseline model directory, e.g. the previous artifact).
The gateway's screen is the cascade (n-gram model, then the int8 encoder for uncertain categories only),
measured on 1,000-character prompts: a realistic mix of ordinary requests and harmful ones, with the share
of requests the cascade escalated to the encoder. Model costs are measured with the verdict cache off; one
row shows a repeated text served from the cache, one /v1/moderations' thorough encoder pass.

taskset -c 0 .venv/bin/python benchmarks/bench_safety.py [--all-cores] [--baseline MODEL_DIR]
"""

from __future__ import annotations

import csv
import gzip
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tutela.gateway.safety.artifact import DEFAULT_MODEL_DIR, load_model
from tutela.gateway.safety.classifier import SafetyClassifier

DATA = Path(__file__).resolve().parents[1] / "training" / "safety"

# Baseline: the cheapest thing a gateway could do instead — one regex scan for a blocklist.
_BASELINE = re.compile(
    r"\b(kill|murder|bomb|suicide|porn|rape|nazi|ignore (all )?previous instructions|dan|fuck|shit)\b",
    re.IGNORECASE,
)

_SENTENCE = (
    "the learning module covers onboarding safety policy quiz team manager review feedback course "
    "lesson objective assessment learner content draft summary please write explain process kill "
    "execute thread report budget schedule customer email meeting project deadline"
)
_WORDS = _SENTENCE.split(" ")


def make_text(n_chars: int, rng: random.Random) -> str:
    """Pseudo-natural text of exactly n_chars characters."""
    words: list[str] = []
    length = 0
    while length < n_chars:
        words.append(rng.choice(_WORDS))
        length += len(words[-1]) + 1
    return " ".join(words)[:n_chars]


def percentiles(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 and p99 wall-clock milliseconds of `fn` over `runs` calls (after warm-up)."""
    for _ in range(20):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def bench_static(clf: SafetyClassifier, text: str) -> None:
    """Share of the latency spent on the distilled static embedding (tokenize + table lookup)."""
    table = clf.model.embeddings
    if table is None:
        print("model has no static embedding table (n-gram only)")
        return
    p50, p99 = percentiles(lambda: table.embed(text), runs=1000)
    print(f"static embedding ({table.dim}-d) alone     : p50 {p50:.3f} ms  p99 {p99:.3f} ms")


def ordinary_prompts(n: int, rng: random.Random) -> list[str]:
    """1,000-character prompts made of ordinary user requests (training/safety/benign_prompts)."""
    with gzip.open(DATA / "benign_prompts.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        pool = [row["text"] for row in csv.DictReader(fh)]
    out = []
    for _ in range(n):
        text = ""
        while len(text) < 1000:
            text += rng.choice(pool) + "\n"
        out.append(text[:1000])
    return out


def harmful_prompts(prompts: list[str]) -> list[str]:
    """The same prompts with one harmful request (training/safety/inhouse_taxonomy.txt) put in front."""
    lines = (DATA / "inhouse_taxonomy.txt").read_text(encoding="utf-8").splitlines()
    harmful = [ln.split("\t", 1)[1] for ln in lines if "\t" in ln and not ln.startswith(("#", "benign"))]
    return [(harmful[i % len(harmful)] + " " + p)[:1000] for i, p in enumerate(prompts)]


def latencies(clf: SafetyClassifier, texts: list[str], **kwargs: bool) -> tuple[float, float, float]:
    """p50 and p99 milliseconds of classifying each text alone (after a warm-up pass), and the share of
    texts the cascade escalated to the encoder."""
    for text in texts[:20]:
        clf.classify([text], **kwargs)
    times = []
    escalated = 0
    for text in texts:
        t0 = time.perf_counter()
        result = clf.classify([text], **kwargs)[0]
        times.append((time.perf_counter() - t0) * 1000)
        escalated += result.escalated
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return statistics.median(times), p99, escalated / len(texts)


def bench_gateway(before: SafetyClassifier, after: SafetyClassifier, rng: random.Random) -> None:
    """The gateway's screening cost: today's n-gram model (or the baseline) against the cascade (both
    uncached) on the same prompts in the same run, the cascade on a repeated text (verdict cache), and
    /v1/moderations' thorough encoder pass."""
    ordinary = ordinary_prompts(500, rng)
    harmful = harmful_prompts(ordinary[:100])
    mixed = ordinary + harmful
    rng.shuffle(mixed)
    cached = SafetyClassifier.load()
    cached.classify(ordinary[:100])
    rows = [
        ("before, mix (500 ordinary + 100 harmful)", before, mixed, False),
        ("cascade, mix (500 ordinary + 100 harmful)", after, mixed, False),
        ("before, ordinary prompts", before, ordinary, False),
        ("cascade, ordinary prompts", after, ordinary, False),
        ("before, harmful prompts", before, harmful, False),
        ("cascade, harmful prompts", after, harmful, False),
        ("cascade, repeated prompts (verdict cache)", cached, ordinary[:100], False),
        ("/v1/moderations encoder pass, ordinary", after, ordinary[:50], True),
    ]
    base = None
    for label, clf, texts, thorough in rows:
        p50, p99, share = latencies(clf, texts, thorough=thorough)
        base = base or (p50, p99)
        print(
            f"{label:42s}: p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
            f"  (x{p50 / base[0]:.2f} / x{p99 / base[1]:.2f})  escalated {share:6.1%}"
        )
    # The escalated path alone (the cost the p99 of a mix with more uncertain texts would approach).
    pool = mixed + harmful_prompts(ordinary[100:])
    escalated = [t for t, r in zip(pool, after.classify(pool), strict=True) if r.escalated]
    if escalated:
        p50, p99, _ = latencies(after, escalated)
        label = f"cascade, escalated texts only (n={len(escalated)})"
        print(f"{label:42s}: p50 {p50:7.2f} ms  p99 {p99:7.2f} ms")


def main() -> None:
    """Print latency, throughput and the ratio to the baselines (regex; today's n-gram model)."""
    if hasattr(os, "sched_setaffinity") and "--all-cores" not in sys.argv:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print("pinned to one core (pass --all-cores to use every core)")
    rng = random.Random(7)
    t0 = time.perf_counter()
    clf = SafetyClassifier(load_model(DEFAULT_MODEL_DIR), DEFAULT_MODEL_DIR, cache_size=0)
    print(f"model load (n-gram model): {(time.perf_counter() - t0) * 1000:.1f} ms")
    baseline = Path(sys.argv[sys.argv.index("--baseline") + 1]) if "--baseline" in sys.argv else None
    before = SafetyClassifier(load_model(baseline or DEFAULT_MODEL_DIR), baseline, cache_size=0)
    print(f"before: {baseline or 'the shipped n-gram model alone (no cascade)'}")
    t0 = time.perf_counter()
    assert clf.encoder is not None, "the shipped model has no encoder stage"
    print(f"encoder load (int8 MiniLM, hash-checked): {(time.perf_counter() - t0) * 1000:.0f} ms")
    text = make_text(1000, rng)

    p50, p99 = percentiles(lambda: clf.classify([text]), runs=1000)
    b50, b99 = percentiles(lambda: _BASELINE.findall(text), runs=1000)
    print(f"classify one 1,000-char text : p50 {p50:.3f} ms  p99 {p99:.3f} ms")
    print(f"regex baseline, same text    : p50 {b50:.4f} ms  p99 {b99:.4f} ms")
    print(f"ratio classifier/baseline    : p50 x{p50 / b50:.0f}  p99 x{p99 / b99:.0f}")

    bench_static(clf, text)
    bench_gateway(before, clf, rng)

    batch = [make_text(rng.randint(200, 2000), rng) for _ in range(2000)]
    t0 = time.perf_counter()
    clf.classify(batch)
    secs = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in batch:
        _BASELINE.findall(t)
    bsecs = time.perf_counter() - t0
    rate, base_rate = len(batch) / secs, len(batch) / bsecs
    print(f"batch throughput (200-2000 chars): {rate:,.0f} texts/s (baseline {base_rate:,.0f})")

    big = make_text(2_000_000, rng)
    t0 = time.perf_counter()
    clf.classify([big])
    print(f"one 2 MB text: {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
