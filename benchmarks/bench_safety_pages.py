"""How often the content filter objects to book pages: share of pages at each severity and shield hits.

Pages come from every real PDF in tests/fixtures/pdf/real (one page per PDF page) and from any plain-text
files (*.txt, e.g. public-domain books) in the directories given as arguments, cut into pages of about
PAGE_CHARS characters at paragraph breaks. Each page is scored as the gateway scores a document passage
(the shipped cascade, verdict cache off) and, in the same run, by the n-gram model alone (the screen
before the cascade) and by a baseline model directory when one is given (e.g. the previous artifact,
checked out with `git show`). Printed per model: pages at low / medium /
high (worst harm category), per category at medium or above, the indirect-attack shield (documents) and
the jailbreak shield (which the gateway runs on user turns only: a page would hit it only if pasted as a
user's own message).

The books the training data draws passages from (scripts/import_safety_sources.py, BOOKS) must not be
among the directories given here, or the figures are not held out. The README's figures used, from
jhacksman/arxiv2025 at 8782bb4 (library/content/**/<name>.txt, Project Gutenberg): peloponnesian_war,
second_treatise_of_government, the_prince, art_of_war, frederick_douglass, crime_and_punishment, dracula,
moby_dick, hamlet, heart_of_darkness, how_the_other_half_lives, souls_of_black_folk, yellow_wallpaper,
modest_proposal, time_machine, pride_and_prejudice, study_in_scarlet, problems_philosophy; and from
benchmarks/corpus the unpacked infantry-drill-regulations-1911.en, debian-reference.en and
mill-representative-government texts.

    .venv/bin/python benchmarks/bench_safety_pages.py [DIR ...] [--baseline MODEL_DIR] [--list-hits N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pypdfium2 as pdfium  # noqa: E402

from tutela.gateway.safety.artifact import DEFAULT_MODEL_DIR, load_model  # noqa: E402
from tutela.gateway.safety.classifier import SafetyClassifier  # noqa: E402
from tutela.gateway.safety.scores import HARM_CATEGORIES, SafetyScores, severity_rank  # noqa: E402

PDF_DIR = ROOT / "tests" / "fixtures" / "pdf" / "real"
# The encrypted fixture's documented user password (tests/fixtures/pdf/README.md).
PASSWORDS = {"libreoffice-writer-password.pdf": "openpassword"}
PAGE_CHARS = 2000
_GUTENBERG_START = re.compile(r"\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG[^\n]*\n")
_GUTENBERG_END = re.compile(r"\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG")


def pdf_pages(path: Path) -> list[str]:
    """Text of each page of a PDF."""
    document = pdfium.PdfDocument(path, password=PASSWORDS.get(path.name))
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def text_pages(path: Path) -> list[str]:
    """A plain-text book cut into pages of about PAGE_CHARS characters at paragraph breaks."""
    text = path.read_text(encoding="utf-8", errors="replace")
    start, end = _GUTENBERG_START.search(text), _GUTENBERG_END.search(text)
    text = text[start.end() if start else 0 : end.start() if end else len(text)]
    pages, current = [], ""
    for paragraph in re.split(r"\n\s*\n", text):
        current = f"{current}\n\n{paragraph}" if current else paragraph
        if len(current) >= PAGE_CHARS:
            pages.append(current)
            current = ""
    if current.strip():
        pages.append(current)
    return pages


def collect(dirs: list[Path]) -> list[tuple[str, int, str]]:
    """(source name, page number, text) for every page."""
    pages = []
    for pdf in sorted(PDF_DIR.glob("*.pdf")):
        pages += [(pdf.name, i + 1, t) for i, t in enumerate(pdf_pages(pdf)) if t.strip()]
    for directory in dirs:
        for txt in sorted(directory.glob("*.txt")):
            pages += [(txt.name, i + 1, t) for i, t in enumerate(text_pages(txt)) if t.strip()]
    return pages


def report(name: str, results: list[SafetyScores], seconds: float) -> None:
    n = len(results)
    worst = Counter(r.max_severity() for r in results)
    print(f"\n{name}: {n} pages in {seconds:.1f} s ({1000 * seconds / max(n, 1):.2f} ms/page)")
    for level in ("low", "medium", "high"):
        at_least = sum(c for sev, c in worst.items() if severity_rank(sev) >= severity_rank(level))
        print(f"  worst harm >= {level:<6}: {at_least:5d} pages ({at_least / n:.2%})")
    for cat in HARM_CATEGORIES:
        hits = sum(1 for r in results if severity_rank(r.harm(cat).severity) >= severity_rank("medium"))
        print(f"    {cat:<10} >= medium: {hits:5d} ({hits / n:.2%})")
    indirect = sum(1 for r in results if r.indirect_attack.detected)
    jailbreak = sum(1 for r in results if r.jailbreak.detected)
    print(f"  indirect-attack shield (documents): {indirect:5d} ({indirect / n:.2%})")
    escalated = sum(1 for r in results if r.escalated)
    print(f"  escalated to the encoder: {escalated:5d} ({escalated / n:.2%})")
    print(f"  jailbreak shield if pasted as a user turn: {jailbreak:5d} ({jailbreak / n:.2%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, help="directories of plain-text books")
    parser.add_argument("--baseline", type=Path, help="a model directory to compare against (before)")
    parser.add_argument("--list-hits", type=int, default=0, help="print where the first N medium+ pages are")
    args = parser.parse_args()
    pages = collect(args.dirs)
    sources = Counter(name for name, _, _ in pages)
    print(
        f"{len(pages)} pages from {len(sources)} documents, {sum(len(t) for _, _, t in pages):,} characters"
    )
    shipped = load_model(DEFAULT_MODEL_DIR)
    models = [
        ("n-gram model alone (before)", SafetyClassifier(shipped, cache_size=0)),
        ("shipped cascade (after)", SafetyClassifier(shipped, DEFAULT_MODEL_DIR, cache_size=0)),
    ]
    if args.baseline:
        models.insert(
            0,
            (f"baseline {args.baseline} (before)", SafetyClassifier(load_model(args.baseline), cache_size=0)),
        )
    texts = [t for _, _, t in pages]
    for name, clf in models:
        start = time.perf_counter()
        results = clf.classify(texts)
        seconds = time.perf_counter() - start
        report(name, results, seconds)
        shown = 0
        for (source, page, _), r in zip(pages, results, strict=True):
            if shown < args.list_hits and (r.flagged("medium") or r.indirect_attack.detected):
                worst = {c: r.harm(c).severity for c in HARM_CATEGORIES if r.harm(c).severity != "safe"}
                print(f"    hit: {source} p.{page} {worst} indirect={r.indirect_attack.detected}")
                shown += 1


if __name__ == "__main__":
    main()
