"""Line breaks of poems and lists survive ingest; prose paragraphs are still joined into running text."""

from __future__ import annotations

from collections.abc import Callable

from tutela.authoring.generation import schemas
from tutela.authoring.generation.checks import check_grounding, quote_in_text
from tutela.authoring.generation.sections import split_document
from tutela.authoring.ingest import ExtractedDocument, IngestLimits, extract_pdf
from tutela.gateway.providers.extractive import fill

LIMITS = IngestLimits(timeout_seconds=30)

POEM = [
    "The tide comes in at seven",
    "and lifts the sleeping fishing boats",
    "a gull complains above the harbour wall",
    "the bells of the old church ring slowly",
    "nets are drying on the stones",
    "and the lighthouse keeper sleeps",
]
LIST = [
    "Waterproof jacket with a hood",
    "Two litres of drinking water",
    "Map and compass",
    "Sunscreen",
    "Spare socks in a dry bag",
]
# Wrapped as a typesetter would, with a word hyphenated across a line end ("fishing" is in the poem).
PROSE = [
    "The harbour was built in the eighteenth century to shelter the fish-",
    "ing fleet from winter storms. Its stone pier is two hundred metres",
    "long and ends at a small lighthouse that is still in use today. The",
    "ferries leave for the islands every morning at seven sharp.",
]
PROSE_TEXT = (
    "The harbour was built in the eighteenth century to shelter the fishing fleet from winter storms. "
    "Its stone pier is two hundred metres long and ends at a small lighthouse that is still in use today. "
    "The ferries leave for the islands every morning at seven sharp."
)


def ingest(make_pdf: Callable[..., bytes], lines: list[str]) -> ExtractedDocument:
    return extract_pdf(make_pdf(lines), limits=LIMITS)


def test_poem_and_list_keep_their_line_breaks_and_prose_is_joined(make_pdf: Callable[..., bytes]) -> None:
    # Empty lines leave a gap, which starts a new block.
    document = ingest(make_pdf, [*POEM, "", *LIST, "", "", *PROSE])
    assert [p.text for p in document.paragraphs] == ["\n".join(POEM), "\n".join(LIST), PROSE_TEXT]
    assert document.pages[0].text == "\n\n".join(p.text for p in document.paragraphs)


def test_quotes_across_kept_line_breaks_verify(make_pdf: Callable[..., bytes]) -> None:
    page = ingest(make_pdf, [*POEM, "", "", *PROSE]).pages[0].text
    assert quote_in_text("\n".join(POEM[1:3]), page)
    assert quote_in_text(" ".join(POEM[1:3]), page)  # reflowed by a model: whitespace is whitespace
    assert quote_in_text(f"{POEM[-1]}\n\n{PROSE_TEXT[:40]}", page)
    assert not quote_in_text(" ".join([POEM[1], POEM[3]]), page)


def test_questions_on_an_ingested_poem_cite_its_lines(make_pdf: Callable[..., bytes]) -> None:
    document = ingest(make_pdf, POEM)
    assert document.paragraphs[0].text == "\n".join(POEM)
    passages = [p for section in split_document(document, max_chars=2000) for p in section.passages]
    questions = schemas.QuestionSet.model_validate(fill("question_set", passages, language="en")).questions
    assert len(questions) >= 3
    for q in questions:
        if q.type != "multiple_choice":
            assert q.citation.quote in POEM, q  # one line each, not a run of lines joined with spaces
    lesson = schemas.ModuleLesson(title="Poem", content="\n".join(POEM), citations=[questions[0].citation])
    module = schemas.Module(
        title="Poem",
        language="en",
        chapters=[schemas.ModuleChapter(title="Poem", lessons=[lesson])],
        summary="",
        questions=questions,
    )
    assert check_grounding(module, document) == []
