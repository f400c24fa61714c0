"""Questions from the extractive engine, checked as the pipeline checks a finished module."""

from __future__ import annotations

import re

from tests.authoring.generation.samples import document
from tutela.authoring.generation import schemas
from tutela.authoring.generation.checks import check_grounding
from tutela.authoring.ingest.document import Page
from tutela.gateway.providers.extractive import fill
from tutela.gateway.providers.extractive.sentences import clean
from tutela.gateway.wire.passages import Passage

# A true/false stem: its question ("True or false?", "صواب أم خطأ؟"), a space, then the statement.
_TRUE_FALSE = re.compile(r"^[^?؟]*[?؟] ")


def grounded_questions(text: str, language: str, instructions: str = "") -> list[schemas.Question]:
    """Questions on a one-page text, after checking them as a finished module is checked."""
    output = fill("question_set", [Passage(page=1, text=text)], instructions, language=language)
    questions = schemas.QuestionSet.model_validate(output).questions
    assert questions
    doc = document([f"Source\n{text}"], language, with_headings=False)
    doc = doc.model_copy(update={"pages": [Page(number=1, text=text)]})
    lesson = schemas.ModuleLesson(title="Source", content=text, citations=[questions[0].citation])
    module = schemas.Module(
        title="Source",
        language=language,
        chapters=[schemas.ModuleChapter(title="Source", lessons=[lesson])],
        summary="",
        questions=questions,
    )
    assert check_grounding(module, doc) == []
    for q in questions:
        quote = clean(q.citation.quote)
        if q.type in ("fill_in_blank", "single_choice"):
            # as the pipeline's check does, up to case: a noun phrase that starts its sentence is asked
            # in lower case ("storage limitation")
            assert q.answer[0].casefold() in quote.casefold()
            assert q.answer[0] not in q.stem.split(":", 1)[-1].replace(schemas.BLANK, " ")
        if q.type == "true_false":
            statement = _TRUE_FALSE.sub("", q.stem, count=1)
            assert (statement in quote) == (q.answer == ["true"]), q
        if q.type == "multiple_choice":
            assert all(answer in quote for answer in q.answer), q
    return questions
