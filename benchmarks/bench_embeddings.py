"""Throughput of the offline MiniLM embedder against two baselines measured in the same run.

    .venv/bin/python benchmarks/bench_embeddings.py [--seconds 3]

Baselines: the tokenizer alone (tok share = the fraction of embedding time spent tokenizing) and the
encoder's dense matmuls alone, done by numpy on random weights of the same shapes (embed/matmul above 1
means the runtime beats numpy's own GEMMs for the whole model).
The load average is printed because other processes on a 2-core box skew every figure.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from tutela.gateway.providers.extractive.embeddings import DIMENSIONS, Embedder

_SUBJECTS = ["The onboarding module", "Our compliance course", "This quiz", "The learner", "A short video"]
_VERBS = ["explains", "reviews", "introduces", "summarises", "tests knowledge of"]
_OBJECTS = [
    "data protection rules",
    "the safety procedure for lifting heavy boxes in the warehouse",
    "how to give feedback",
    "quarterly sales targets and the reasons they changed since last year",
    "fire exits",
]


def corpus(n: int) -> list[str]:
    """Deterministic English sentences of mixed length (about 8 to 20 word pieces)."""
    return [
        f"{_SUBJECTS[i % 5]} {_VERBS[(i // 5) % 5]} {_OBJECTS[(i // 25) % 5]} (part {i})." for i in range(n)
    ]


def rate(work: Callable[[], object], items: int, seconds: float) -> float:
    """Best items/s over repeated calls for about `seconds` (best-of resists noise from other load)."""
    work()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return items / best


def matmul_baseline(tokens: int) -> Callable[[], object]:
    """The six layers' dense products for `tokens` rows, nothing else."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((tokens, DIMENSIONS), dtype=np.float32)
    shapes = [(DIMENSIONS, 3 * DIMENSIONS), (DIMENSIONS, DIMENSIONS), (DIMENSIONS, 1536), (1536, DIMENSIONS)]
    weights = [rng.standard_normal(s, dtype=np.float32) * 0.02 for s in shapes]

    def run() -> None:
        for _ in range(6):
            _ = x @ weights[0]
            _ = x @ weights[1]
            _ = (x @ weights[2]) @ weights[3]

    return run


def main() -> None:
    """Print sentences/s per batch size with baseline ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}  cpus: {os.cpu_count()}")
    start = time.perf_counter()
    embedder = Embedder.load()
    print(f"load + verify: {time.perf_counter() - start:.2f} s")
    texts = corpus(128)
    mean_tokens = float(np.mean(embedder.count_tokens(texts)))
    print(f"mean word pieces per sentence: {mean_tokens:.1f}")
    columns = ("batch", 5), ("embed/s", 9), ("tokenize/s", 11), ("tok share", 10), ("matmul/s", 9)
    print(" ".join(f"{name:>{width}}" for name, width in columns), f"{'embed/matmul':>13}")
    for batch in (1, 64, 128):
        sample = texts[:batch]
        tokens = sum(embedder.count_tokens(sample))
        embed = rate(partial(embedder.embed, sample), batch, args.seconds)
        tokenize = rate(partial(embedder.count_tokens, sample), batch, args.seconds / 3)
        matmul = rate(matmul_baseline(tokens), batch, args.seconds / 3)
        print(
            f"{batch:>5} {embed:>9.1f} {tokenize:>11.0f} {embed / tokenize:>10.1%} {matmul:>9.1f}"
            f" {embed / matmul:>13.2f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
