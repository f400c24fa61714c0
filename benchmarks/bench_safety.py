"""Latency and throughput of the built-in safety classifier, against a plain regex baseline.

.venv/bin/python benchmarks/bench_safety.py
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tutela.gateway.safety.classifier import SafetyClassifier

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


def bench_embedder(clf: SafetyClassifier, text: str) -> None:
    """Latency if the full MiniLM encoder ran as well (it does not: the classifier uses the static table)."""
    try:
        from tutela.gateway.providers.extractive.embeddings import Embedder

        t0 = time.perf_counter()
        embedder = Embedder.load()
    except Exception as exc:  # noqa: BLE001 - the model package is optional; any failure means "absent"
        print(f"MiniLM embedder unavailable ({type(exc).__name__}); skipping embedder timings")
        return
    print(f"MiniLM load: {(time.perf_counter() - t0) * 1000:.0f} ms")
    prefix = text[:150]  # about 32 word pieces
    for label, fn in (
        ("n-gram classifier + MiniLM (256 pieces)", lambda: (clf.classify([text]), embedder.embed([text]))),
        (
            "n-gram classifier + MiniLM (first ~32 pieces)",
            lambda: (clf.classify([text]), embedder.embed([prefix])),
        ),
    ):
        p50, p99 = percentiles(fn, runs=200)
        print(f"{label:46s}: p50 {p50:.2f} ms  p99 {p99:.2f} ms")


def main() -> None:
    """Print latency, throughput and the ratio to the regex baseline."""
    rng = random.Random(7)
    t0 = time.perf_counter()
    clf = SafetyClassifier.load()
    print(f"model load: {(time.perf_counter() - t0) * 1000:.1f} ms")
    text = make_text(1000, rng)

    p50, p99 = percentiles(lambda: clf.classify([text]), runs=1000)
    b50, b99 = percentiles(lambda: _BASELINE.findall(text), runs=1000)
    print(f"classify one 1,000-char text : p50 {p50:.3f} ms  p99 {p99:.3f} ms")
    print(f"regex baseline, same text    : p50 {b50:.4f} ms  p99 {b99:.4f} ms")
    print(f"ratio classifier/baseline    : p50 x{p50 / b50:.0f}  p99 x{p99 / b99:.0f}")

    bench_static(clf, text)
    bench_embedder(clf, text)

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
