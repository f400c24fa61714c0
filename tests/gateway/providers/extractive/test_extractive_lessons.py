"""Lessons read as prose and objectives name observable outcomes on the document's central topics."""

from __future__ import annotations

import re

from tutela.authoring.generation import schemas
from tutela.gateway.providers.extractive import fill
from tutela.gateway.providers.extractive.context import leans_back, points_elsewhere
from tutela.gateway.wire.passages import Passage

TRACING = [
    (
        "1. Introduction",
        "Dynamic languages such as JavaScript are hard to compile ahead of time. "
        "The interpreter runs every bytecode through a large dispatch loop. "
        "Trace trees record hot loops in the interpreter and compile them to machine code. "
        "However, trace trees record every side exit of the loop as a new branch of the same tree. "
        "As shown in Figure 3, the monitor attaches each branch to the loop header of the tree. "
        "Type specialization lets the compiled trace use integer arithmetic instead of generic values.",
    ),
    (
        "2. Trace recording",
        "The trace monitor counts how often each loop back edge is taken before recording a trace. "
        "The recorder stores the executed operations of one iteration in a linear trace. "
        "Trace trees grow when a side exit becomes hot and the recorder extends the tree. "
        "A Python port of the recorder was written once as a prototype. "
        "Type specialization removes the type checks from the hot path of the trace. "
        "The stages of trace compilation are recording, optimization and code generation.",
    ),
    (
        "3. Evaluation",
        "JavaScript benchmarks run several times faster with trace trees than in the interpreter. "
        "The trace monitor falls back to the interpreter when a trace exits too often. "
        "Type specialization pays off most for loops that do bit manipulation. "
        "Trace trees stay small because the recorder only follows hot paths.",
    ),
]


def passages(sections: list[tuple[str, str]]) -> list[Passage]:
    return [Passage(page=i + 1, text=text, section=title) for i, (title, text) in enumerate(sections)]


def lesson_sentences(lesson: dict[str, object]) -> list[list[str]]:
    paragraphs = lesson["paragraphs"]
    assert isinstance(paragraphs, list)
    return [re.split(r"(?<=\.) (?=[A-Z])", p["content"]) for p in paragraphs]


SIDE_EXITS = [
    "Side exits leave a compiled trace when a guard fails.",
    "A guard checks the type of a value on the trace.",
    "The loop header starts every trace of the loop.",
    "However, trace trees attach each hot side exit to the loop header as a new branch of the trace tree.",
    "{middle}",
    "Branches of trace trees are compiled when their side exits become hot.",
    "The compiler emits machine code for every branch of the tree.",
    "Native code runs much faster than the interpreter.",
]
LEANING = (
    "This means that trace trees grow branches at hot side exits and share the loop header of the trace tree."
)
POINTING = "As shown in Figure 3, trace trees grow branches at hot side exits and share the loop header."


def side_exits(middle: str) -> list[Passage]:
    return [Passage(page=1, text=" ".join(SIDE_EXITS).format(middle=middle), section="Trace trees")]


def test_a_sentence_that_leans_on_the_one_before_comes_with_it_and_never_opens_a_paragraph() -> None:
    source = " ".join(SIDE_EXITS).format(middle=LEANING)
    order = re.split(r"(?<=\.) ", source)
    lesson = fill("lesson", side_exits(LEANING), language="en")
    schemas.Lesson.model_validate(lesson)
    said = [s for paragraph in lesson_sentences(lesson) for s in paragraph]
    for paragraph in lesson_sentences(lesson):
        assert not leans_back(paragraph[0], "en"), paragraph
    for position, sentence in enumerate(said):
        if leans_back(sentence, "en"):
            assert position > 0 and said[position - 1] == order[order.index(sentence) - 1], said


def test_the_latter_and_the_former_lean_on_the_sentence_before() -> None:
    assert leans_back("The latter subject is a short one.", "en")
    assert leans_back("Also, the monitor counts crossings.", "en")
    assert not leans_back("It is possible to record a trace twice.", "en")
    assert not leans_back("Trace trees record hot loops.", "en")


def test_a_sentence_pointing_to_a_figure_is_left_out_of_lessons_and_summaries() -> None:
    lesson = fill("lesson", side_exits(POINTING), language="en")
    summary = fill("summary", side_exits(POINTING), language="en")
    text = " ".join(p["content"] for p in lesson["paragraphs"]) + summary["content"]
    assert "Figure 3" not in text
    assert not points_elsewhere(text)


def test_a_sentence_pointing_to_another_chapter_or_a_list_after_it_points_elsewhere() -> None:
    assert points_elsewhere("In the previous chapter we pointed out that lengths are measurable.")
    assert points_elsewhere("The remainder of this chapter explains vector quantities.")
    assert points_elsewhere("Camp sites as above indicated will not often be found.")
    assert points_elsewhere("The *.desktop files are scanned as follows.")
    assert not points_elsewhere("Trace trees record hot loops in the interpreter.")


def test_a_passage_given_twice_does_not_give_a_paragraph_twice() -> None:
    title, text = TRACING[2]
    lesson = fill(
        "lesson", [Passage(page=1, text=text, section=title), Passage(page=2, text=text, section=title)]
    )
    contents = [" ".join(p["content"].split()) for p in lesson["paragraphs"]]
    assert len(contents) == len(set(contents))
    said = [s for paragraph in lesson_sentences(lesson) for s in paragraph]
    assert len(said) == len(set(said))


def test_objectives_are_observable_outcomes_on_central_topics() -> None:
    outline = schemas.ModuleOutline.model_validate(fill("module_outline", passages(TRACING), language="en"))
    objectives = outline.learning_objectives
    assert objectives
    assert all(re.match(r"^(Explain how|Explain why|List the|Compare|Define) ", o) for o in objectives), (
        objectives
    )
    assert "Explain how trace trees record hot loops in the interpreter." in objectives
    assert "List the stages of trace compilation." in objectives
    # Python is named once, in one section: not a topic of this document.
    assert not any("Python" in o for o in objectives)
    assert not any(re.match(r"^(Explain \w+\.|Describe the role of)", o) for o in objectives)


def test_a_topic_with_nothing_to_say_about_it_gets_no_objective() -> None:
    text = "Apples grow on trees in the north of the country. Pears ripen later in the autumn season."
    outline = fill("module_outline", [Passage(page=1, text=text)], language="en")
    assert outline["learning_objectives"] == []


def test_the_module_title_is_the_documents_title_never_a_file_name() -> None:
    sections = passages(TRACING)
    named = fill("module_outline", sections, title="Trace Trees for Dynamic Languages", language="en")
    assert named["title"] == "Trace Trees for Dynamic Languages"
    for file_name in ("ijoc_article_2020.html", "Microsoft Word - draft.docx", "paper.pdf", "untitled"):
        outline = fill("module_outline", sections, title=file_name, language="en")
        assert outline["title"] != file_name
        assert not re.search(r"\.(html|docx|pdf)$|_", outline["title"])


def test_an_objective_needs_a_verb_that_agrees_with_its_topic() -> None:
    text = (
        "JavaScript object values are mappings of names to values. Every browser runs JavaScript. "
        "JavaScript runs untyped code quickly on every page. Pages load JavaScript from many servers."
    )
    objectives = fill("module_outline", [Passage(page=1, text=text)], language="en")["learning_objectives"]
    assert "Explain how JavaScript runs untyped code quickly on every page." in objectives
    assert not any("JavaScript object" in o for o in objectives)


def test_an_untranslated_english_paragraph_gives_no_objective_in_a_french_document() -> None:
    text = (
        "Linux gère les périphériques comme des fichiers. Linux console can only display limited characters. "
        "Linux console can show colours on request. Le noyau Linux charge ses modules au démarrage."
    )
    objectives = fill("module_outline", [Passage(page=1, text=text)], language="fr")["learning_objectives"]
    assert not any(" can " in o or " the " in o for o in objectives), objectives
