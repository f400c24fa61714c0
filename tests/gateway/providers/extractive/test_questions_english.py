"""English questions from the parse: real wh-stems, options of the answer's kind, self-contained stems.

Each test names the defect a reviewer found in the key-term questions it replaces (issue 11): stems that
were always a sentence with a blank, stems opening on "But" or "Also,", dangling "that year", options of
the wrong kind, keyword lines as true statements, word-salad false statements, glued note numbers and
questions from endnotes. The texts are written for these tests; the facts in them are public history.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.gateway.providers.extractive.grounding import grounded_questions
from tutela.authoring.generation import schemas
from tutela.authoring.generation.sections import split_document
from tutela.authoring.ingest.limits import IngestLimits
from tutela.authoring.ingest.pdf import extract_pdf
from tutela.gateway.providers.extractive import fill, nlp, wh
from tutela.gateway.providers.extractive.exceptions import ParserIntegrityError
from tutela.gateway.wire.passages import Passage, parse_source, render_passages

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "pdf" / "real"

HISTORY = """The Royal Academy of Music was founded in London in 1822. John Fane proposed the academy \
after a long visit to Paris. The academy admitted 21 students in its first term. But whether the fees \
covered the costs remained unclear for years. Also, the academy moved to Marylebone Road in 1911. He made \
his debut in May of that year. King George IV granted the academy a royal charter in 1830. The Guildhall \
School of Music opened in the City of London in 1880. The Royal College of Music was founded in London \
in 1882. Charles Villiers Stanford taught composition at the Royal College of Music for decades. Edward \
Elgar wrote the Enigma Variations in 1899. Gustav Holst composed The Planets between 1914 and 1916. The \
orchestra performed 48 concerts in its first season. The hall holds 1,200 seats on three levels. Many \
students left the academy because the fees rose sharply after the war. The library of the Royal College \
of Music holds over 300,000 printed items. Ralph Vaughan Williams studied at the Royal College of Music \
in London. The Proms were founded by Robert Newman in 1895. The academy was copyrighted.4 in the same \
decade as the college.
Keywords: music education, conservatoire, London, royal charter.
"""

NOTES = """1 See Cyril Ehrlich, The Music Profession in Britain, p. 23. 2 Ibid., pp. 40-41. 3 The Royal \
Academy of Music admitted its first students in 1823, op. cit., p. 12."""

CONNECTIVE_STEM = re.compile(r"^(?:\w+ )?(?:But|And|Also|However|Yet|So)\b|\b(?:What|Who) (?:are|is) But\b")
ENDINGS = ("?", ".")


def questions(text: str, count: int = 20) -> list[schemas.Question]:
    return grounded_questions(text, "en", f"Write {count} questions.")


def parsed(sentence: str) -> list[wh.Ask]:
    return wh.asks(nlp.parse([sentence])[0])


@pytest.mark.parametrize(
    ("sentence", "stem", "answer"),
    [
        (
            "Marie Curie won the Nobel Prize in Physics in 1903.",
            "In what year did Marie Curie win the Nobel Prize in Physics?",
            "1903",
        ),
        (
            "Marie Curie won the Nobel Prize in Physics in 1903.",
            "Who won the Nobel Prize in Physics in 1903?",
            "Marie Curie",
        ),
        (
            "The committee approved 12 new courses in 2019.",
            "How many new courses did the committee approve in 2019?",
            "12",
        ),
        (
            "In 1996, the company moved its headquarters to Seattle.",
            "In what year did the company move its headquarters to Seattle?",
            "1996",
        ),
        (
            "During the war, Orwell worked for the BBC in London.",
            "Where did Orwell work for the BBC during the war?",
            "London",
        ),
        (
            "Many students left the academy because the fees rose sharply after the war.",
            "Why did many students leave the academy?",
            "because the fees rose sharply after the war",
        ),
        (
            "But the court rejected the appeal in March 2004.",
            "When did the court reject the appeal?",
            "March 2004",
        ),
    ],
)
def test_stems_are_real_questions_built_from_the_sentence_structure(
    sentence: str, stem: str, answer: str
) -> None:
    assert (stem, answer) in {(a.stem, a.answer) for a in parsed(sentence)}


@pytest.mark.parametrize(
    "sentence",
    [
        "He made his debut in May of that year.",  # a pronoun and "that year" point outside the stem
        "But whether patents were granted in 1996 remained unclear.",  # "What are But whether patents?"
        "This approach was adopted in 1998 by most compilers.",  # "this approach": which one?
        "We measured the speedup on 26 benchmarks in 2008.",  # the writer is no referent a learner has
        "The academy was copyrighted.4 in the same decade as the college.",  # a glued note number
        "The desktop files of the academy are scanned as follows.",  # the list it points to is not there
    ],
)
def test_a_sentence_that_cannot_stand_alone_gets_no_question(sentence: str) -> None:
    assert parsed(sentence) == []


def test_no_stem_opens_on_a_connective_or_dangles() -> None:
    found = questions(HISTORY)
    for q in found:
        body = q.stem.split("? ", 1)[-1] if q.type == "true_false" else q.stem
        assert not CONNECTIVE_STEM.search(body), q.stem
        assert "that year" not in q.stem and "He made" not in q.stem, q.stem
        assert "copyrighted.4" not in q.stem + " ".join(q.options), q.stem


def test_not_every_stem_is_a_sentence_with_a_blank() -> None:
    found = questions(HISTORY)
    wh_stems = [q for q in found if re.match(r"(?:Who|What|When|Where|Why|How many|In what year)\b", q.stem)]
    assert len(wh_stems) >= len(found) // 3, [q.stem for q in found]
    for q in found:
        if q.type == "fill_in_blank":
            assert q.stem.count(schemas.BLANK) == 1


def test_options_are_of_the_answers_kind() -> None:
    found = [q for q in questions(HISTORY) if q.type == "single_choice"]
    assert found
    people = {"John Fane", "King George IV", "Charles Villiers Stanford", "Edward Elgar", "Gustav Holst"}
    people |= {"Ralph Vaughan Williams", "Robert Newman"}
    for q in found:
        answer = q.answer[0]
        if re.fullmatch(r"\d{4}", answer):
            assert all(re.fullmatch(r"\d{4}", o) for o in q.options), q  # no "Back / April / Orwell"
        elif re.fullmatch(r"[\d,]+", answer):
            assert all(re.fullmatch(r"[\d,]+", o) for o in q.options), q
        elif answer in people:
            assert set(q.options) <= people, q
        assert len(q.options) == 4 and len(set(q.options)) == 4


def test_a_wrong_option_the_source_also_states_is_never_offered() -> None:
    text = (
        "The Royal Academy of Music was founded in London in 1822. The Royal College of Music was "
        "founded in London in 1882. The Guildhall School of Music opened in the City of London in 1880. "
        "Edward Elgar wrote the Enigma Variations in 1899. Gustav Holst composed The Planets in 1916."
    )
    for q in questions(text, 10):
        if q.type == "single_choice" and q.stem.startswith("Which") and "founded in London" in q.stem:
            # both the academy and the college were founded in London: neither may be a wrong option
            assert not {"Royal Academy of Music", "Royal College of Music"} - {q.answer[0]} & set(q.options)


def test_statement_questions_use_full_body_sentences_and_plausible_false_variants() -> None:
    found = questions(HISTORY)
    kinds = {q.type for q in found}
    assert {"true_false", "multiple_choice"} <= kinds
    sentences = set(re.split(r"(?<=\.)\s+", " ".join(HISTORY.split())))
    for q in found:
        statements = [q.stem.split("? ", 1)[1]] if q.type == "true_false" else []
        statements += q.options if q.type == "multiple_choice" else []
        for statement in statements:
            assert "Keywords" not in statement and len(statement.split()) >= 6, q
            assert statement.endswith("."), q
            if statement in sentences:
                continue  # a true statement, as in the source
            # a false one: the faithful negation, or one name, date or figure swapped
            source = max(sentences, key=lambda s: _shared_prefix(s, statement) + _shared_suffix(s, statement))
            changed = _changed_words(source, statement)
            assert changed <= 4, (statement, source)


def test_no_question_is_drawn_from_endnotes() -> None:
    found = questions(HISTORY + "\n" + NOTES)
    for q in found:
        assert "Ibid" not in q.citation.quote and "op. cit." not in q.citation.quote, q
        assert "Ehrlich" not in q.stem + " ".join(q.options), q


def test_requested_counts_are_met_where_the_text_allows() -> None:
    assert len(questions(HISTORY, 10)) == 10


def test_a_real_paper_gets_wh_questions_and_same_kind_options() -> None:
    doc = extract_pdf((FIXTURES / "tracemonkey.pdf").read_bytes(), limits=IngestLimits())
    sections = split_document(doc, max_chars=12_000)
    passages = parse_source(render_passages([p for s in sections for p in s.passages])).passages
    quiz = schemas.QuestionSet.model_validate(fill("question_set", passages, language="en"))
    stems = [q.stem for q in quiz.questions]
    assert any(re.match(r"(?:Who|What|When|Where|Why|How many)\b", s) for s in stems), stems
    for q in quiz.questions:
        assert not CONNECTIVE_STEM.search(q.stem), q.stem
        assert not re.search(r"\b(?:we|our)\b", q.stem, re.IGNORECASE), q.stem


def test_a_damaged_parser_file_is_refused(tmp_path: Path) -> None:
    model = nlp.model_dir()
    for name in nlp.MODEL_FILES:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((model / name).read_bytes())
    nlp.verify(tmp_path)  # an exact copy passes
    (tmp_path / "ner" / "model").write_bytes((model / "ner" / "model").read_bytes()[:-1] + b"\0")
    with pytest.raises(ParserIntegrityError, match="ner/model"):
        nlp.verify(tmp_path)


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _shared_suffix(a: str, b: str) -> int:
    return _shared_prefix(a[::-1], b[::-1])


def _changed_words(source: str, statement: str) -> int:
    a, b = source.split(), statement.split()
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return max(len(a), len(b)) - start - end


TOWNS = ["Leeds", "York", "Bath", "Derby", "Exeter", "Durham", "Chester", "Lincoln", "Norwich", "Oxford"]


def test_questions_are_spread_over_the_whole_document() -> None:
    pages = [
        Passage(
            page=n,
            text=(
                f"The council of {TOWNS[n % 10]} opened a public library with {200 + 10 * n} books in "
                f"{1850 + n}. Readers borrowed novels, sermons and almanacs from the reading room."
            ),
        )
        for n in range(1, 41)
    ]
    out = schemas.QuestionSet.model_validate(fill("question_set", pages, "Write 8 questions.", language="en"))
    cited = sorted(q.citation.page for q in out.questions)
    assert len(cited) == 8
    quarters = {(page - 1) // 10 for page in cited}
    assert quarters == {0, 1, 2, 3}, cited  # not the first eight pages only


CALCULUS = """Leibniz published his first statement on the calculus in 1684. The notation of Leibniz is \
still used by engineers in many countries. Newton described his method of fluxions in 1671. Again, the \
dispute between Newton and Leibniz divided the mathematicians of England for a century. The Royal Society \
reviewed the dispute in 1712. The committee of the Royal Society published its report in 1713.
"""


def test_a_stem_keeps_the_capitals_of_names_and_drops_a_leading_again() -> None:
    """Found by reading: "In what year did leibniz publish ...?" and "..., again?" at a stem's end."""
    assert all(not a.stem.endswith("again?") for a in parsed("Again, the dispute divided the scholars."))
    found = questions(CALCULUS, 8)
    assert found
    for q in found:
        assert "leibniz" not in q.stem and "newton" not in q.stem, q.stem
        assert not q.stem.rstrip("?").endswith(("again", "Again")), q.stem
    assert any("Leibniz" in q.stem or "Leibniz" in q.answer for q in found)
