"""Generation quality and speed on real PDFs: the main job, end to end, against plain text extraction.

    python benchmarks/bench_generate.py [PDF ...]       (default: every file in tests/fixtures/pdf/real)
    python benchmarks/bench_generate.py --long-book [--filter off] [--cli]

For each document: pages, chapters, lessons, questions (and per chapter), the share of citations verified
against the source text, questions per 2 pages of body text (a page of body text holds at least
BODY_WORDS words of paragraphs; a title page or a page of one word is not one), pages set aside as front or
back matter, pages of body text that land in no lesson and are not set aside ("lost", always 0), the time of
ingest and of ingest + generation + checks through the in-process gateway on the built-in model (embeddings
on), and the peak memory of this process so far. The baseline in the same run is
pypdfium2's plain text extraction of the same file; the ratio says how much the whole job costs over just
reading the text.

--long-book renders the whole of Mill's "Considerations on Representative Government" as a book of about 350
pages (scripts/test_pdfs, needs the dev extra) and adds it to the documents. --filter off turns the
content filter's categories off for the built-in deployment (the screening itself still runs). --cli also
times `tutela generate` on the long book in a fresh process and data directory: process start, migrations,
model load, ingest, generation, checks and files, with its CPU time and peak memory. Python sources are
compiled to bytecode first (an installed package has its .pyc files), so that no run pays for compiling.

Targets: 100% of citations verified; >= 1 question per 2 pages of body text; the 117-page lecture script
under 15 s; the 350-page book end to end in <= 30 s with <= 1 GB peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pypdfium2

from tutela.authoring.generation import structure
from tutela.authoring.generation.checks import check_grounding, citations, unverified_citations
from tutela.authoring.generation.pipeline import SECTION_CHARS, generate_module
from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.cli.authoring import LOCAL_AUTHOR_ORG
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import caller_for_org
from tutela.gateway.deployments import service as deployments
from tutela.gateway.pipeline import Gateway
from tutela.gateway.resources.service import find_resource
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.schemas import FilterSettings
from tutela.runtime import Runtime
from tutela.storage.migrations import upgrade_all

ROOT = Path(__file__).resolve().parents[1]
BODY_WORDS = 40
_CATEGORIES_OFF = {"hate": "off", "sexual": "off", "violence": "off", "self_harm": "off"}


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


def _peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (the parser child is measured by --cli)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _render_long_book(directory: Path) -> Path:
    sys.path.insert(0, str(ROOT / "scripts"))
    from test_pdfs.book import LONG_BOOK_SIZE, build_book
    from test_pdfs.source import read_source

    out = directory / "mill-representative-government.pdf"
    started = time.perf_counter()
    source = read_source()
    pages = build_book(source, out, source.chapters, LONG_BOOK_SIZE)
    print(f"rendered {out.name}: {pages} pages in {time.perf_counter() - started:.1f} s")
    return out


def _filter_off(runtime: Runtime, org_id: str) -> None:
    with runtime.region_of(org_id).db.session() as db:
        found = find_resource(db, org_id=org_id, name="default")
        assert found is not None
        deployment = deployments.find(db, org_id=org_id, resource_id=found.id, name="extractive")
        settings = FilterSettings.model_validate({"prompt": _CATEGORIES_OFF, "completion": _CATEGORIES_OFF})
        safety.set_filter(db, org_id=org_id, deployment_id=deployment.id, settings=settings)
        db.commit()


async def _run(paths: list[Path], *, filter_off: bool) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(Settings(data_dir=Path(data_dir)))
        upgrade_all(runtime)
        org_id = organizations.create(
            runtime, name="Bench", region=runtime.settings.home_region, actor="bench"
        ).id
        if filter_off:
            _filter_off(runtime, org_id)
        caller = caller_for_org(runtime, org_id)
        gateway = Gateway(runtime)
        await gateway.provider("extractive")  # load the embedding model outside the timings
        header = f"{'document':34} {'pages':>5} {'ch':>3} {'les':>4} {'q':>4} {'q/ch':>5} "
        header += f"{'body':>4} {'q/2bp':>5} {'set':>4} {'lost':>4} "
        header += f"{'cited':>6} {'ok%':>6} {'ingest':>6} {'time s':>7} {'text s':>7} {'ratio':>6} "
        header += f"{'peak MB':>7}"
        print(header)
        for path in paths:
            data = path.read_bytes()
            started = time.perf_counter()
            try:
                document = extract_pdf(data, limits=IngestLimits())
            except IngestError as exc:
                print(f"{path.name:34} refused: {exc.message}")
                continue
            ingest = time.perf_counter() - started
            module = await generate_module(gateway=gateway, caller=caller, document=document)
            findings = check_grounding(module, document)
            elapsed = time.perf_counter() - started
            plan = structure.plan_document(document, max_chars=SECTION_CHARS)
            set_aside = sum(part.last_page - part.first_page + 1 for part in plan.set_aside)
            lost = len(structure.unplaced_body_pages(document, plan))
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
                f"{questions / max(chapters, 1):5.1f} {body:4} {per_two} {set_aside:4} {lost:4} "
                f"{len(cited):6} {verified:6.1f} {ingest:6.2f} {elapsed:7.2f} {baseline:7.3f} "
                f"{elapsed / baseline:5.0f}x {_peak_mb():7.0f}"
            )
        await gateway.close()
        runtime.close()


def _cli(book: Path, *, filter_off: bool) -> None:
    """`tutela generate` on the book in a fresh process and data directory: wall time and peak memory."""
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "TUTELA_DATA_DIR": data_dir}
        if filter_off:  # the command's own organization, made ahead so its filter can be set
            runtime = Runtime(Settings(data_dir=Path(data_dir)))
            upgrade_all(runtime)
            org = organizations.create(
                runtime, name=LOCAL_AUTHOR_ORG, region=runtime.settings.home_region, actor="bench"
            )
            _filter_off(runtime, org.id)
            runtime.close()
        subprocess.run(  # an installed package has its bytecode; a run here must not compile the sources
            [sys.executable, "-m", "compileall", "-q", str(ROOT / "src"), sysconfig.get_paths()["purelib"]],
            check=False,
            capture_output=True,
        )
        tutela = Path(sys.executable).with_name("tutela")
        started = time.perf_counter()
        process = subprocess.Popen([str(tutela), "generate", str(book), "--out", out], env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        # On a shared machine the wall time says more about the neighbours than about the job; the CPU time
        # (all threads, and the parser child the command waited for) does not.
        cpu = usage.ru_utime + usage.ru_stime
        started = time.process_time()
        _plain_text_seconds(book.read_bytes())
        baseline = time.process_time() - started
        print(
            f"tutela generate {book.name}: exit {process.returncode}, {elapsed:.1f} s wall, {cpu:.1f} s CPU "
            f"({cpu / baseline:.0f}x the {baseline:.2f} s of CPU of plain text extraction), "
            f"peak {usage.ru_maxrss / 1024:.0f} MB (its largest process)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--long-book", action="store_true", help="add Mill's book rendered at ~350 pages")
    parser.add_argument("--filter", choices=["default", "off"], default="default")
    parser.add_argument("--cli", action="store_true", help="also time `tutela generate` on the long book")
    args = parser.parse_args()
    paths: list[Path] = list(args.pdfs)
    with tempfile.TemporaryDirectory() as rendered:
        book = _render_long_book(Path(rendered)) if args.long_book or args.cli else None
        if book is not None and args.long_book:
            paths.append(book)
        if not paths and book is None:
            paths = sorted((ROOT / "tests/fixtures/pdf/real").glob("*.pdf"))
        if paths:
            asyncio.run(_run(paths, filter_off=args.filter == "off"))
        if args.cli and book is not None:
            _cli(book, filter_off=args.filter == "off")


if __name__ == "__main__":
    main()
