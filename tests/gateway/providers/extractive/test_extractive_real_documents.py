"""The extractive engine on real PDFs from tests/fixtures/pdf/real (see that folder for their sources)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.authoring.generation import schemas
from tutela.authoring.generation.sections import split_document
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.authoring.ingest.limits import IngestLimits
from tutela.authoring.ingest.pdf import extract_pdf
from tutela.gateway.providers.extractive import fill, nlp
from tutela.gateway.providers.extractive.exceptions import NoUsableText
from tutela.gateway.wire.passages import parse_source, render_passages

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "pdf" / "real"


def extracted(name: str) -> ExtractedDocument:
    return extract_pdf((FIXTURES / name).read_bytes(), limits=IngestLimits())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["GeoTopo-komprimiert.pdf", "tracemonkey.pdf"])
def test_a_whole_module_is_generated_and_every_citation_checks_out(name: str) -> None:
    doc = extracted(name)
    nlp.load()  # once per process, at the provider's start (ExtractiveProvider.start), not per request
    sections = split_document(doc, max_chars=12_000)
    passages = parse_source(render_passages([p for s in sections for p in s.passages])).passages
    outline = schemas.ModuleOutline.model_validate(fill("module_outline", passages, title=doc.title))
    lessons = []
    for section in sections:
        try:
            lesson = fill("lesson", section.passages, language=doc.language)
        except NoUsableText:
            continue  # a section of formulas only: the generation service skips it
        lessons.append(schemas.Lesson.model_validate(lesson))
    quiz = schemas.QuestionSet.model_validate(fill("question_set", passages, language=doc.language))
    summary = schemas.Summary.model_validate(fill("summary", passages, language=doc.language))

    # Speed is measured by benchmarks/bench_generate.py and bench_questions.py, not asserted here: a
    # wall-clock bound fails on a loaded machine whatever the code does.
    assert len(quiz.questions) >= doc.page_count / 2
    assert {q.type for q in quiz.questions} == set(schemas.QUESTION_TYPES)
    assert len(outline.chapters) >= 5
    assert len(lessons) >= len(sections) // 2
    cited = [c for lesson in lessons for p in lesson.paragraphs for c in p.citations]
    cited += [q.citation for q in quiz.questions] + summary.citations
    pages = {page.number: page.text for page in doc.pages}
    assert all(c.quote in pages[c.page] for c in cited)
