"""What an LMS export costs: time and size per format for one module, against writing module.json and
module.md (the organization export's own files) as the same-run baseline.

    python benchmarks/bench_exports.py [module.json]   (default: a made-up module, 40 lessons, 200 questions)

Prints, per format: milliseconds per export (best of 5), size, questions kept, and the time ratio to the
baseline; then the cost of the review page's export table (what every format keeps), which runs on every
view of the page; then the organization export of 10 such modules in one format (one zip, a package per
module and the combined report) against 10 single exports.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from tutela.authoring.exports import (
    DEFAULT_PASS_MARK,
    FORMATS,
    Exportable,
    coverage,
    export_bulk,
    export_module,
)
from tutela.authoring.generation.markdown import render_markdown
from tutela.authoring.generation.schemas import Module

_CITATION = {"page": 1, "quote": "a quote from the source"}
_SHAPES = [
    {"type": "single_choice", "options": ["alpha", "beta", "gamma", "delta"], "answer": ["beta"]},
    {"type": "multiple_choice", "options": ["alpha", "beta", "gamma", "delta"], "answer": ["alpha", "gamma"]},
    {"type": "true_false", "options": ["true", "false"], "answer": ["false"]},
    {"type": "fill_in_blank", "options": [], "answer": ["tracing", "trace recording"]},
    {"type": "short_answer", "options": [], "answer": ["a trace tree"]},
]


def made_up_module(lessons: int = 40, questions: int = 200) -> Module:
    """A module of the given size with every question type in turn."""
    text = "A paragraph of lesson text about how the interpreter records hot loops. " * 12
    chapters = [
        {
            "title": f"Chapter {c}",
            "lessons": [
                {"title": f"Lesson {c}.{n}", "content": f"{text}\n\n{text}", "citations": [_CITATION]}
                for n in range(lessons // 8)
            ],
        }
        for c in range(8)
    ]
    items = []
    for n in range(questions):
        shape = _SHAPES[n % len(_SHAPES)]
        stem = (
            f"Question {n}: what does the recorder keep for a _____ loop?"
            if shape["type"] == "fill_in_blank"
            else f"Question {n}: which statement holds for hot loops?"
        )
        items.append(
            {**shape, "stem": stem, "explanation": "Because the source says so.", "citation": _CITATION}
        )
    return Module.model_validate(
        {
            "title": "Benchmark module",
            "language": "en",
            "chapters": chapters,
            "summary": "",
            "questions": items,
        }
    )


def best_ms(action: Callable[[], object], rounds: int = 5) -> float:
    """The fastest of `rounds` runs, in milliseconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main(argv: list[str]) -> None:
    module = Module.model_validate_json(Path(argv[0]).read_bytes()) if argv else made_up_module()
    baseline = best_ms(lambda: (module.model_dump_json(indent=2), render_markdown(module)))
    lessons = sum(len(c.lessons) for c in module.chapters)
    print(f"module: {lessons} lessons, {len(module.questions)} questions")
    print(f"baseline (module.json + module.md): {baseline:.1f} ms")
    for name in FORMATS:
        export = export_module(module, format_name=name)
        took = best_ms(lambda name=name: export_module(module, format_name=name))
        kept = f"{export.report.questions_exported}/{export.report.questions_total}"
        print(
            f"{name:11} {took:7.1f} ms  {len(export.data) / 1024:8.1f} KiB  kept {kept:>7}  "
            f"x{took / baseline:.1f} baseline"
        )
    table = best_ms(lambda: coverage(module, pass_mark=DEFAULT_PASS_MARK))
    print(f"review page table (every format's plan): {table:.2f} ms (x{table / baseline:.2f} baseline)")
    many = [Exportable(content=module)] * 10
    for name in ("scorm2004", "gift", "qti21"):
        singles = best_ms(lambda name=name: [export_module(module, format_name=name) for _ in many], rounds=3)
        bulk = best_ms(lambda name=name: export_bulk(many, format_name=name), rounds=3)
        print(f"bulk, 10 modules, {name:9} {bulk:7.1f} ms  (x{bulk / singles:.2f} ten single exports)")


if __name__ == "__main__":
    main(sys.argv[1:])
