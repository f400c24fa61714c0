"""What the content filter costs a generated module: parts left out at each document screening level.

    python benchmarks/bench_left_out.py [PDF ...]      (default: every file in tests/fixtures/pdf/real)

For each document the main job runs twice through the in-process gateway on the built-in model: once with
the organization's authoring document filter at "high" (the default) and, as the same-run baseline, at
"medium" (the deployment's own prompt threshold, which screened documents before). It prints lessons
written, parts left out (lessons, question sets, outline, summary), questions and time for each, and the
ratio of parts left out (high / medium). Target: fewer parts left out at "high" on every document; no job
fails.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from tutela.authoring.generation.exceptions import GenerationFailed
from tutela.authoring.generation.pipeline import generate_module
from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import caller_for_org
from tutela.gateway.pipeline import Gateway
from tutela.runtime import Runtime
from tutela.storage.migrations import upgrade_all

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ("high", "medium")


async def main(paths: list[Path]) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(Settings(data_dir=Path(data_dir)))
        upgrade_all(runtime)
        org_id = organizations.create(
            runtime, name="Bench", region=runtime.settings.home_region, actor="bench"
        ).id
        gateway = Gateway(runtime)
        await gateway.provider("extractive")  # load the embedding model outside the timings
        print(
            f"{'document':34} {'pages':>5}  "
            + "  ".join(f"{lv + ': les left q time s':>26}" for lv in LEVELS)
        )
        totals = dict.fromkeys(LEVELS, 0)
        for path in paths:
            try:
                document = extract_pdf(path.read_bytes(), limits=IngestLimits())
            except IngestError as exc:
                print(f"{path.name[:34]:34} refused: {exc.message}")
                continue
            cells = []
            for level in LEVELS:
                with runtime.region_session(org_id) as db:
                    organizations.set_authoring_document_filter(db, org_id=org_id, level=level)
                left_out: list[str] = []
                started = time.perf_counter()
                try:
                    module = await generate_module(
                        gateway=gateway,
                        caller=caller_for_org(runtime, org_id),
                        document=document,
                        left_out=left_out,
                    )
                except GenerationFailed as exc:
                    cells.append(f"{'failed: ' + exc.code:>26}")
                    continue
                elapsed = time.perf_counter() - started
                lessons = sum(len(c.lessons) for c in module.chapters)
                totals[level] += len(left_out)
                cells.append(f"{lessons:14} {len(left_out):4} {len(module.questions):3} {elapsed:6.2f}")
            print(f"{path.name[:34]:34} {document.page_count:5}  " + "  ".join(cells))
        ratio = totals["high"] / totals["medium"] if totals["medium"] else float("nan")
        print(
            f"parts left out: high {totals['high']}, medium (baseline) {totals['medium']}, ratio {ratio:.2f}"
        )
        await gateway.close()
        runtime.close()


if __name__ == "__main__":
    chosen = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "tests/fixtures/pdf/real").glob("*.pdf"))
    asyncio.run(main(chosen))
