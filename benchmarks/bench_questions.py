"""Question writing on long documents: the parser-based writer against the key-term writer, same run.

    python benchmarks/bench_questions.py [--only NAME ...]   (default: the English documents of the corpus)

For each document (benchmarks/corpus_pdfs.py), the question set the main job asks the built-in model for
(as many questions as it chooses by itself, every passage of the document in one request), timed twice in
one process: with the English parser (spaCy, loaded before timing, as `tutela serve` does at start) and,
as the baseline, with the parser switched off (the key-term writer other languages use). It prints pages,
questions, wall and CPU seconds with the parser, CPU seconds of the baseline, the CPU ratio, the sentences
parsed and the share of wh-questions. CPU time is the figure to compare on a shared machine. Target
(issue 11): a 350-page book end to end in <= 30 s on 2 cores, so question writing must stay a small part.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus_pdfs import corpus_documents  # noqa: E402

from tutela.authoring.generation.sections import split_document  # noqa: E402
from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf  # noqa: E402
from tutela.gateway.providers.extractive import fill, nlp  # noqa: E402
from tutela.gateway.providers.extractive import questions as writer  # noqa: E402
from tutela.gateway.wire.passages import parse_source, render_passages  # noqa: E402

_WH = re.compile(r"^(?:Who|What|When|Where|Why|Which|How many|In what year)\b")


class _Counted:
    """nlp.parse, counting the sentences it parses (the writer calls it through the module)."""

    def __init__(self) -> None:
        self.sentences = 0
        self._parse = nlp.parse

    def __call__(self, texts: Iterable[str]) -> list[Any]:
        docs = self._parse(texts)
        self.sentences += len(docs)
        return docs


def _run(passages: list[Any]) -> tuple[float, float, list[dict[str, Any]]]:
    """Wall and CPU seconds of one question set (CPU time says more on a shared, loaded machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fill("question_set", passages, language="en")
    return time.perf_counter() - wall, time.process_time() - cpu, out["questions"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=[], help="documents whose name contains one of these")
    args = parser.parse_args()
    nlp.load()
    counted = _Counted()
    nlp.parse = counted  # type: ignore[assignment]
    print(f"{'document':32} {'pages':>5} {'q':>4} {'wall s':>7} {'cpu s':>6} {'base cpu':>8}", end="")
    print(f" {'ratio':>6} {'parsed':>6} {'wh %':>5}")
    for doc in corpus_documents():
        if (args.only and not any(n in doc.name for n in args.only)) or doc.language not in ("en", "?"):
            continue
        try:
            extracted = extract_pdf(doc.pdf.read_bytes(), limits=IngestLimits())
        except IngestError:
            continue
        if extracted.language != "en":
            continue
        sections = split_document(extracted, max_chars=12_000)
        passages = parse_source(render_passages([p for s in sections for p in s.passages])).passages
        before = counted.sentences
        seconds, cpu, made = _run(passages)
        parsed = counted.sentences - before
        original = writer._english
        writer._english = lambda *_: None  # the baseline: the key-term writer alone
        try:
            _, base, _ = _run(passages)
        finally:
            writer._english = original
        wh = sum(bool(_WH.match(q["stem"])) for q in made)
        print(
            f"{doc.name[:32]:32} {extracted.page_count:5} {len(made):4} {seconds:7.2f} {cpu:6.2f} "
            f"{base:8.2f} {cpu / base:6.2f} {parsed:6} {100 * wh / max(len(made), 1):5.1f}"
        )


if __name__ == "__main__":
    main()
