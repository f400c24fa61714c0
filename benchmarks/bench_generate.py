"""Generation quality and speed on real PDFs: the main job, end to end, against plain text extraction.

    python benchmarks/bench_generate.py [PDF ...]      (default: every file in tests/fixtures/pdf/real)

For each document: pages, chapters, lessons, questions (and per chapter), the share of citations verified
against the source text, questions per 2 pages of body text (a page of body text holds at least
BODY_WORDS words of paragraphs; a title page or a page of one word is not one), and the time of ingest +
generation + checks through the in-process gateway on the built-in model. The baseline in the same run is
pypdfium2's plain text extraction of the same file; the ratio says how much the whole job costs over just
reading the text.
Targets: 100% of citations verified; >= 1 question per 2 pages of body text; the 117-page lecture script
under 15 s.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2

from tutela.authoring.generation.checks import check_grounding, citations, unverified_citations
from tutela.authoring.generation.pipeline import generate_module
from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import caller_for_org
from tutela.gateway.pipeline import Gateway
from tutela.runtime import Runtime
from tutela.storage.migrations import upgrade_all

ROOT = Path(__file__).resolve().parents[1]
BODY_WORDS = 40


def _body_pages(document: ExtractedDocument) -> int:
    words: dict[int, int] = {}
    for paragraph in document.paragraphs:
        words[paragraph.page] = words.get(paragraph.page, 0) + len(paragraph.text.split())
    return sum(1 for count in words.values() if count >= BODY_WORDS)


def _plain_text_seconds(data: bytes) -> float:
    started = time.perf_counter()
    pdf = pypdfium2.PdfDocument(data)
    for index in range(len(pdf)):
        pdf[index].get_textpage().get_text_range()
    return time.perf_counter() - started


async def main(paths: list[Path]) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(Settings(data_dir=Path(data_dir)))
        upgrade_all(runtime)
        org_id = organizations.create(
            runtime, name="Bench", region=runtime.settings.home_region, actor="bench"
        ).id
        caller = caller_for_org(runtime, org_id)
        gateway = Gateway(runtime)
        await gateway.provider("extractive")  # load the embedding model outside the timings
        header = f"{'document':34} {'pages':>5} {'ch':>3} {'les':>4} {'q':>4} {'q/ch':>5} "
        header += f"{'body':>4} {'q/2bp':>5} "
        print(header + f"{'cited':>6} {'ok%':>6} {'time s':>7} {'text s':>7} {'ratio':>6}")
        for path in paths:
            data = path.read_bytes()
            started = time.perf_counter()
            try:
                document = extract_pdf(data, limits=IngestLimits())
            except IngestError as exc:
                print(f"{path.name:34} refused: {exc.message}")
                continue
            module = await generate_module(gateway=gateway, caller=caller, document=document)
            findings = check_grounding(module, document)
            elapsed = time.perf_counter() - started
            cited = citations(module)
            bad = unverified_citations(findings)
            chapters = len(module.chapters)
            lessons = sum(len(c.lessons) for c in module.chapters)
            questions = len(module.questions)
            baseline = _plain_text_seconds(data)
            verified = 100 * (len(cited) - len(bad)) / len(cited) if cited else 100.0
            body = _body_pages(document)
            per_two = f"{2 * questions / body:5.2f}" if body else "    -"
            print(
                f"{path.name[:34]:34} {document.page_count:5} {chapters:3} {lessons:4} {questions:4} "
                f"{questions / max(chapters, 1):5.1f} {body:4} {per_two} "
                f"{len(cited):6} {verified:6.1f} {elapsed:7.2f} {baseline:7.3f} {elapsed / baseline:6.0f}x"
            )
        await gateway.close()
        runtime.close()


if __name__ == "__main__":
    chosen = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "tests/fixtures/pdf/real").glob("*.pdf"))
    asyncio.run(main(chosen))
