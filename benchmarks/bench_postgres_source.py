"""The `postgresql` data source: what querying the customer's database costs per request, and whether its
pgvector ranking finds the same passages as Tutela's own library index.

    .venv/bin/python benchmarks/bench_postgres_source.py [--pdf tests/fixtures/pdf/real/tracemonkey.pdf]

A real PostgreSQL 16 with pgvector (the `pgserver` wheel, on a temporary directory, over its Unix socket)
holds the document's chunks with their MiniLM vectors. Speed: one retrieval as the connector makes it
(connect, READ ONLY transaction, statement timeout, the cosine query, close) against the baseline of the
library's in-process ranking over the same chunks (query_type `vector`), both including the question's
embedding. Quality: for sentences cut to their first two thirds, hit@1 of pgvector's cosine order and of
the library's vector ranking (they should agree: same vectors, same metric). The load average is printed
because other processes on a 2-core box skew every figure.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import pgserver
import psycopg

from tutela.authoring.ingest import IngestLimits, extract_pdf
from tutela.gateway.grounding.postgres import run_query, vector_literal
from tutela.gateway.library import index
from tutela.gateway.providers.extractive.embeddings import Embedder

QUERY = (
    "SELECT body AS content, id::text AS chunk_id, 1 - (embedding <=> %(embedding)s::vector) AS score "
    "FROM kb ORDER BY embedding <=> %(embedding)s::vector LIMIT %(top_n)s"
)


def median_ms(work: object, repeat: int) -> float:
    """Median wall time of `repeat` calls after one warm-up, in milliseconds."""
    assert callable(work)
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    """Print per-request latency (connector vs library) and hit@1 of both rankings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdf", type=Path, default=Path("tests/fixtures/pdf/real/tracemonkey.pdf"))
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}  cpus: {os.cpu_count()}")
    document = extract_pdf(args.pdf.read_bytes(), limits=IngestLimits())
    embedder = Embedder.load()
    built = index.build(embedder, [(p.page, p.text) for p in document.paragraphs])
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        try:
            uri = server.get_uri()
            with psycopg.connect(uri, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                conn.execute("CREATE TABLE kb (id int PRIMARY KEY, body text, embedding vector(384))")
                for i, (chunk, vector) in enumerate(zip(built.chunks, built.vectors, strict=True)):
                    conn.execute(
                        "INSERT INTO kb VALUES (%s, %s, %s::vector)", (i, chunk.text, vector_literal(vector))
                    )
            print(f"{args.pdf.name}: {len(built.chunks)} chunks in the database and in the library index")

            def ask(question: str, top_n: int) -> list[dict[str, object]]:
                values = {"embedding": vector_literal(embedder.embed([question])[0]), "top_n": top_n}
                return run_query(uri, QUERY, values, timeout_ms=5000, limit=top_n)

            question = "How does the trace compiler handle type-unstable loops?"
            connector = median_ms(lambda: ask(question, 5), args.repeat)
            library = median_ms(
                lambda: index.rank(embedder, question, [built], top_n=5, strictness=1, query_type="vector"),
                args.repeat,
            )
            print(
                f"one retrieval, median of {args.repeat}: postgresql connector {connector:.1f} ms, "
                f"library (baseline) {library:.1f} ms, ratio {connector / library:.1f}x"
            )
            rng = random.Random(7)
            sentences = [
                (i, s.strip())
                for i, chunk in enumerate(built.chunks)
                for s in chunk.text.replace("\n", " ").split(". ")
                if 12 <= len(s.split()) <= 40
            ]
            picked = rng.sample(sentences, min(args.queries, len(sentences)))
            pg_hits = lib_hits = 0
            for chunk_index, sentence in picked:
                words = sentence.split()
                partial = " ".join(words[: max(6, len(words) * 2 // 3)])
                rows = ask(partial, 1)
                pg_hits += bool(rows) and rows[0]["chunk_id"] == str(chunk_index)
                found = index.rank(embedder, partial, [built], top_n=1, strictness=1, query_type="vector")
                lib_hits += bool(found) and found[0].chunk == chunk_index
            n = len(picked)
            print(f"hit@1 pgvector cosine : {pg_hits}/{n} ({pg_hits / n:.0%})")
            print(f"hit@1 library vector  : {lib_hits}/{n} ({lib_hits / n:.0%})")
        finally:
            server.cleanup()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
