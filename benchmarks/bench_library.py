"""The library index behind "on your data": build time, query latency and which ranking finds the passage.

    .venv/bin/python benchmarks/bench_library.py [--pdf tests/fixtures/pdf/real/tracemonkey.pdf]

Speed: a query's latency over the document's chunks copied 1, 5 and 20 times, against the baseline of
embedding the question alone (the floor of any vector query), as a ratio. Quality: for sentences taken
from the document, with their words cut to the first two thirds (a partial recollection of the passage),
how often the chunk holding the sentence ranks first with keyword only, vector only and the hybrid.
The load average is printed because other processes on a 2-core box skew every figure.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

from tutela.authoring.ingest import IngestLimits, extract_pdf
from tutela.gateway.library import index
from tutela.gateway.providers.extractive.embeddings import Embedder


def best_of(work: object, repeat: int = 5) -> float:
    """Best wall time of `repeat` calls, in seconds."""
    assert callable(work)
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Print build time, latency ratios and hit@1 per ranking."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdf", type=Path, default=Path("tests/fixtures/pdf/real/tracemonkey.pdf"))
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}  cpus: {os.cpu_count()}")
    document = extract_pdf(args.pdf.read_bytes(), limits=IngestLimits())
    paragraphs = [(p.page, p.text) for p in document.paragraphs]
    embedder = Embedder.load()
    start = time.perf_counter()
    built = index.build(embedder, paragraphs)
    build = time.perf_counter() - start
    print(
        f"{args.pdf.name}: {document.page_count} pages, {len(built.chunks)} chunks, "
        f"index built in {build:.2f} s ({build / document.page_count * 1000:.0f} ms/page), "
        f"{len(built.to_bytes()) / 1024:.0f} KiB sealed"
    )
    question = "How does the trace compiler handle type-unstable loops?"
    floor = best_of(lambda: embedder.embed([question]))
    for copies in (1, 5, 20):
        docs = [built] * copies

        def query(docs: list[index.DocumentIndex] = docs) -> None:
            index.rank(embedder, question, docs, top_n=5, strictness=3, query_type="vector_simple_hybrid")

        took = best_of(query)
        print(
            f"query over {len(built.chunks) * copies:5d} chunks: {took * 1000:6.1f} ms "
            f"(embedding the question alone {floor * 1000:.1f} ms; ratio {took / floor:.1f}x)"
        )
    rng = random.Random(7)
    sentences = [
        (i, s.strip())
        for i, chunk in enumerate(built.chunks)
        for s in chunk.text.replace("\n", " ").split(". ")
        if 12 <= len(s.split()) <= 40
    ]
    picked = rng.sample(sentences, min(args.queries, len(sentences)))
    for kind in ("simple", "vector", "vector_simple_hybrid"):
        hits = 0
        for chunk_index, sentence in picked:
            words = sentence.split()
            partial = " ".join(words[: max(6, len(words) * 2 // 3)])
            found = index.rank(embedder, partial, [built], top_n=1, strictness=1, query_type=kind)
            hits += bool(found) and found[0].chunk == chunk_index
        print(f"hit@1 {kind:22s}: {hits}/{len(picked)} ({hits / len(picked):.0%})")


if __name__ == "__main__":
    main()
