"""One module from several documents against one module per document: time, size and grounding.

    .venv/bin/python benchmarks/bench_library_authoring.py [PDF ...]
    (default: pdflatex-4-pages.pdf, journal-paper.pdf and tracemonkey.pdf from tests/fixtures/pdf)

The baseline, in the same run, is each document written alone (the same pipeline through the in-process
gateway on the built-in model); the figure is the module written from all of them at once (documents laid end
to end, a chapter per document, citations sent back to each document's page). For both: seconds, chapters,
lessons, questions, citations, the share verified against the cited document's page, and how many of the
documents the combined module cites. The load average is printed: other processes skew every time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from tutela.authoring.generation.checks import check_grounding, citations, unverified_citations
from tutela.authoring.generation.combined import Source, combine
from tutela.authoring.generation.pipeline import generate_module
from tutela.authoring.generation.schemas import Module
from tutela.authoring.ingest import IngestLimits, extract_pdf
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import caller_for_org
from tutela.gateway.pipeline import Gateway
from tutela.runtime import Runtime
from tutela.storage.migrations import upgrade_all

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT / "tests" / "fixtures" / "pdf"
DEFAULT = [
    PDFS / "real" / "pdflatex-4-pages.pdf",
    PDFS / "made" / "journal-paper.pdf",
    PDFS / "real" / "tracemonkey.pdf",
]


def _row(name: str, seconds: float, module: Module, verified: float, extra: str = "") -> str:
    lessons = sum(len(c.lessons) for c in module.chapters)
    return (
        f"{name[:40]:40} {seconds:7.2f} {len(module.chapters):3} {lessons:4} {len(module.questions):4} "
        f"{len(citations(module)):6} {verified:6.1f} {extra}"
    )


def _verified(module: Module, document: ExtractedDocument, others: dict[str, ExtractedDocument]) -> float:
    cited = citations(module)
    bad = unverified_citations(check_grounding(module, document, others))
    return 100 * (len(cited) - len(bad)) / len(cited) if cited else 100.0


async def _run(paths: list[Path]) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(Settings(data_dir=Path(data_dir)))
        upgrade_all(runtime)
        org_id = organizations.create(
            runtime, name="Bench", region=runtime.settings.home_region, actor="bench"
        ).id
        caller = caller_for_org(runtime, org_id)
        gateway = Gateway(runtime)
        await gateway.provider("extractive")  # load the embedding model outside the timings
        sources = [
            Source(
                id=path.name, title=path.name, document=extract_pdf(path.read_bytes(), limits=IngestLimits())
            )
            for path in paths
        ]
        print(f"{'module':40} {'time s':>7} {'ch':>3} {'les':>4} {'q':>4} {'cited':>6} {'ok%':>6}")
        alone = 0.0
        for source in sources:
            started = time.perf_counter()
            module = await generate_module(gateway=gateway, caller=caller, document=source.document)
            seconds = time.perf_counter() - started
            alone += seconds
            print(_row(f"alone: {source.title}", seconds, module, _verified(module, source.document, {})))
        started = time.perf_counter()
        combined = combine(sources)
        module = combined.cite(
            await generate_module(gateway=gateway, caller=caller, document=combined.document)
        )
        seconds = time.perf_counter() - started
        by_id = {s.id: s.document for s in sources}
        cited = {c.document_id for _, c in citations(module)}
        print(
            _row(
                f"together: {len(sources)} documents",
                seconds,
                module,
                _verified(module, sources[0].document, by_id),
                f"cites {len(cited)} of {len(sources)} documents; "
                f"{seconds / alone:.2f}x the {alone:.2f} s alone",
            )
        )
        await gateway.close()
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    args = parser.parse_args()
    paths = list(args.pdfs) or DEFAULT
    if len(paths) < 2:
        sys.exit("give at least two PDFs")
    print(f"load average before: {os.getloadavg()[0]:.2f}  cpus: {os.cpu_count()}")
    asyncio.run(_run(paths))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
