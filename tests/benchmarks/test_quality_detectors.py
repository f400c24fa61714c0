"""Each quality detector of benchmarks/bench_quality.py fires on a defect and stays quiet on a good item."""

from __future__ import annotations

import pytest

from benchmarks import lesson_detectors as ld
from benchmarks import quality_detectors as qd

PAGES = {
    1: "Patents and Culture\nA. Author",
    2: (
        "The patent system was reformed in 1996. Copyright protects the expression of an idea. "
        "Trace trees record hot loops in the interpreter. The monitor counts loop crossings before "
        "compiling a trace. We type-specialize the code to use integer arithmetic, which substantially "
        "improves performance."
    ),
    3: "Notes\n1. Smith, J. (1999). On patents. Journal of Law, pp. 12-30.\n2. Ibid., p. 4.",
}
SOURCE = qd.Source.from_pages(PAGES)


def test_statement_of_strips_the_fixed_lead_in_only() -> None:
    assert (
        qd.statement_of("Fill in the blank: The patent system was _____.") == "The patent system was _____."
    )
    assert qd.statement_of("True or false? Copyright protects ideas.") == "Copyright protects ideas."
    assert qd.statement_of("What does copyright protect?") == "What does copyright protect?"


@pytest.mark.parametrize(
    ("text", "language", "flagged"),
    [
        ("But whether patents help is unclear.", "en", True),
        ("Also, the advantages are reduced.", "en", True),
        ("However the court disagreed.", "en", True),
        ("For example, trace trees record loops.", "en", True),
        ("Mais la cour a refusé.", "fr", True),
        ("Copyright protects the expression of an idea.", "en", False),
        ("Butter was rationed in 1940.", "en", False),
        ("Although trace trees are small, they grow.", "en", False),
        ("En suivant les suggestions de Josip Rodin, la référence a changé.", "fr", False),
        ("Por ejemplo, la planta produce oxígeno.", "es", True),
        ("1996 was the year of the reform.", "en", False),
    ],
)
def test_leading_connective(text: str, language: str, flagged: bool) -> None:
    assert qd.leading_connective(text, language) is flagged


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("He made his debut in May of that year.", True),
        ("She made her debut in May of 1996.", True),
        ("This is particularly important for nested loops.", True),
        ("As shown in Table 2, the monitor counts crossings.", True),
        ("The monitor counts crossings, see above.", True),
        ("There is no need for special content.", False),
        ("It is not in general true that the other term is given.", False),
        ("Trace trees record hot loops in the interpreter.", False),
    ],
)
def test_dangling_reference(text: str, flagged: bool) -> None:
    assert qd.dangling_reference(text) is flagged


def test_dangling_reference_in_german_spares_the_reader() -> None:
    assert qd.dangling_reference("Diese Einstellung gilt für alle Benutzer.", "de")
    assert not qd.dangling_reference("Sie können das Paket mit apt installieren.", "de")


@pytest.mark.parametrize(
    ("stem", "flagged"),
    [
        ("What are But whether patents?", True),
        ("What does the the monitor count?", True),
        ("What does the monitor count", True),
        ("Why whether the monitor counts crossings?", True),
        ("What does the monitor count before compiling a trace?", False),
        ("Fill in the blank: What _____ counts crossings?", False),
        ("The monitor counts crossings.", False),
    ],
)
def test_malformed_wh(stem: str, flagged: bool) -> None:
    assert qd.malformed_wh(stem) is flagged


@pytest.mark.parametrize(
    ("option", "kind"),
    [
        ("1996", "year"),
        ("April", "month"),
        ("May 5, 1789", "date"),
        ("25", "number"),
        ("12%", "percent"),
        ("20 yards", "quantity"),
        ("George Orwell", "name"),
        ("trace trees", "phrase"),
    ],
)
def test_option_kind(option: str, kind: str) -> None:
    assert qd.option_kind(option).name == kind


def test_distractor_kind_mismatch() -> None:
    assert qd.distractor_kind_mismatch("1996", ["Back", "1996", "April", "Orwell"])
    assert qd.distractor_kind_mismatch("20 yards", ["20 yards", "30", "40 yards"])
    assert qd.distractor_kind_mismatch("20 yards", ["20 yards", "30 paces", "40 yards"])
    assert not qd.distractor_kind_mismatch("1996", ["1996", "1989", "2001", "1975"])
    assert not qd.distractor_kind_mismatch("trace trees", ["trace trees", "loop header", "Trace Monitor"])


def test_distractor_true() -> None:
    stem = "Which option completes the statement? Copyright protects the _____ of an idea."
    assert qd.distractor_true(
        stem, ["expression"], ["expression", "Expression ", "value"], SOURCE, "single_choice"
    )
    filled_true = "Which option completes the statement? The patent system was reformed in _____."
    assert qd.distractor_true(filled_true, ["1997"], ["1997", "1996", "2001"], SOURCE, "single_choice")
    assert not qd.distractor_true(
        stem, ["expression"], ["expression", "value", "price"], SOURCE, "single_choice"
    )
    false_but_said = "True or false? Copyright protects the expression of an idea."
    assert qd.distractor_true(false_but_said, ["false"], ["true", "false"], SOURCE, "true_false")
    false_swap = "True or false? Copyright protects the value of an idea."
    assert not qd.distractor_true(false_swap, ["false"], ["true", "false"], SOURCE, "true_false")


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("KEYWORDS: PATENTS, CULTURE, LAW", True),
        ("Keywords: patents, culture and law in modern societies.", True),
        ("Introduction to trace trees", True),
        ("2.1 Method", True),
        ("and then the monitor compiles the trace.", True),
        ("patents, law, culture, trade, rights, courts.", True),
        ("Trace trees record hot loops in the interpreter.", False),
    ],
)
def test_not_a_statement(text: str, flagged: bool) -> None:
    assert qd.not_a_statement(text) is flagged


def test_not_a_statement_asks_a_tagger_for_a_verb() -> None:
    assert qd.not_a_statement("The history of the patent system in Europe.", has_verb=lambda _: False)
    assert not qd.not_a_statement("The history of the patent system in Europe.", has_verb=lambda _: True)


def test_word_salad() -> None:
    assert qd.word_salad("Trace trees record loops hot in the interpreter.", SOURCE)  # shuffled
    assert qd.word_salad("Trace trees trees record hot loops in the interpreter.", SOURCE)  # doubled
    assert qd.word_salad("Bananas are yellow when ripe and sweet.", SOURCE)  # nowhere in the source
    assert qd.word_salad("The monitor counts 1996 before compiling a trace.", SOURCE)  # a year for a noun
    assert not qd.word_salad("Trace trees record hot loops in the compiler.", SOURCE)  # a same-kind swap
    assert not qd.word_salad("Trace trees do not record hot loops in the interpreter.", SOURCE)  # negation
    glued = qd.Source.from_pages({1: "2.1 Trees The monitor counts loop crossings before compiling a trace."})
    assert not qd.word_salad("The monitor counts loop exits before compiling a trace.", glued)
    assert qd.word_salad("The monitor counts before compiling a trace.", glued)  # words dropped


def test_word_salad_with_a_tagger_catches_a_noun_swapped_for_a_verb() -> None:
    variant = "We type-specialize the code to use integer arithmetic, which substantially base interpreter."
    verbs = {"improves"}

    def tagger(sentence: str) -> dict[str, set[str]]:
        return {w: {"VERB"} if w in verbs else {"NOUN"} for w in qd.words(sentence)}

    assert not qd.word_salad(variant, SOURCE)  # the plain rules cannot tell
    assert qd.word_salad(variant, SOURCE, tagger)
    same_kind = "We type-specialize the code to use integer arithmetic, which substantially improves speed."
    assert not qd.word_salad(same_kind, SOURCE, tagger)


def test_page_kind() -> None:
    assert SOURCE.kinds == {1: "front", 2: "body", 3: "back"}
    contents = "Contents\nIntroduction . . . . . 1\nMethod . . . . . 4"
    assert qd.page_kind(contents, 3) == "front"
    index = "\n".join(f"term {i}, {i}, {i + 10}" for i in range(12))
    assert qd.page_kind(index, 200) == "back"
    board = "Editorial Board\nJ. Smith, University of X\nA. Jones, University of Y"
    assert qd.page_kind(board, 2) == "back"


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("The work was copyrighted.4 Its authors sued.", True),
        ("Culture12 shapes the law.", True),
        ("Format the disk as ext4 before mounting.", False),
        ("Version 2.1.4 fixed it.", False),
        ("Convert MP3 files.", False),
    ],
)
def test_glued_footnote(text: str, flagged: bool) -> None:
    source = qd.Source.from_pages({1: "Culture shapes the law. ext4 ext4 ext4 is a file system."})
    assert qd.glued_footnote(text, source) is flagged


@pytest.mark.parametrize(
    ("stem", "key", "flagged"),
    [
        ("Fill in the blank: Pellentesque sit amet pede ac sem eleifend _____.", "consectetuer", True),
        ("Fill in the blank: The monitor waits for _____ before compiling.", "2", True),
        ("Fill in the blank: The _____ tree calls the inner tree.", "tree", True),
        ("Fill in the blank: The skirmish line is _____ wide.", "20 yards", False),
        ("Fill in the blank: Hot loops are recorded as _____.", "trace trees", False),
        ("Fill in the blank: The reform came in _____.", "1996", False),
        ("Fill in the blank: The monitor waits for _____ crossings.", "2", False),
        ("What does the monitor count?", "crossings", False),
    ],
)
def test_cloze_not_key_term(stem: str, key: str, flagged: bool) -> None:
    assert qd.cloze_not_key_term(stem, key) is flagged


def test_key_unsupported() -> None:
    quote = "Copyright protects the expression of an idea."
    assert qd.key_unsupported(
        "single_choice", "Copyright protects the _____.", ["value"], ["value", "x", "y"], quote
    )
    assert not qd.key_unsupported("fill_in_blank", "Copyright protects the _____.", ["expression"], [], quote)
    assert qd.key_unsupported("true_false", "True or false? Copyright protects ideas.", ["true"], [], quote)
    assert not qd.key_unsupported("true_false", f"True or false? {quote}", ["true"], [], quote)
    assert qd.key_unsupported("true_false", f"True or false? {quote}", ["false"], [], quote)
    options = ["Copyright protects the expression of an idea.", "Copyright protects ideas."]
    assert qd.key_unsupported("multiple_choice", "Which are true?", options[1:], options, quote)
    assert not qd.key_unsupported("multiple_choice", "Which are true?", options[:1], options, quote)


@pytest.mark.parametrize(
    ("objective", "flagged"),
    [
        ("Explain Commons.", True),
        ("Describe the role of Python.", True),
        ("Understand trace trees.", True),
        ("Explain how bananas ripen in the sun.", True),  # not about the document
        ("Explain how trace trees record hot loops.", False),
        ("List the steps the monitor takes before compiling a trace.", False),
        ("Expliquer comment the monitor counts loop crossings.", False),
        ("Explicar cómo trace trees record hot loops.", False),
        ("Erklären können, was „trace trees“ ist.", False),
        ("Expliquer «\u00a0trace\u00a0».", True),
    ],
)
def test_vague_objective(objective: str, flagged: bool) -> None:
    assert ld.vague_objective(objective, SOURCE) is flagged


def test_broken_lesson() -> None:
    good = "Trace trees record hot loops in the interpreter.\n\nThe monitor counts loop crossings."
    assert ld.broken_lesson(good) == []
    assert "fragment" in ld.broken_lesson("loops in the interpreter and then")
    assert "duplicated paragraph" in ld.broken_lesson(f"{good}\n\n{good}")
    assert "dangling reference" in ld.broken_lesson("As shown in Table 2, loops are hot.")
    assert "broken word" in ld.broken_lesson("The monitor counts cross- ings of the loop.")
    assert ld.broken_lesson("Viele Handbuch- und Infoseiten wurden verwendet.", "de") == []
    assert ld.broken_lesson("Es gibt verschiedene Programme zur Übersetzung von Quellcode.", "de") == []
    assert "opens on a missing sentence" in ld.broken_lesson("However, the monitor counts crossings.")
    assert ld.broken_lesson("Kernel- wie auch Systemmeldungen werden protokolliert.", "de") == []
    # An anaphor the paragraph resolves itself is good prose; one it opens with points outside it.
    resolved = "The captain accompanies the inspector as soon as the latter passes him."
    assert ld.broken_lesson(resolved) == []
    assert "dangling reference" in ld.broken_lesson("The latter passes the captain at the gate.")
    assert "dangling reference" in ld.broken_lesson("In the previous chapter we defined the monitor.")


def test_duplicated_across() -> None:
    paragraph = "Trace trees record hot loops in the interpreter of the virtual machine."
    assert (
        ld.duplicated_across([paragraph, "Something else entirely is said in this lesson here.", paragraph])
        == 1
    )
    assert ld.duplicated_across([paragraph, "Something else entirely is said in this lesson here."]) == 0


@pytest.mark.parametrize(
    ("title", "flagged"),
    [
        ("ijoc_article_2020.html", True),
        ("Microsoft Word - draft3.docx", True),
        ("Pages 1–3", True),
        ("Trace-based Just-in-Time Type Specialization for Dynamic Languages", False),
        ("Debian Reference", False),
    ],
)
def test_file_name_title(title: str, flagged: bool) -> None:
    assert ld.file_name_title(title) is flagged


def test_a_statement_pointing_to_a_list_after_it_dangles() -> None:
    assert qd.dangling_reference("The *.desktop files are scanned as follows.")


def test_trailing_connective() -> None:
    assert qd.trailing_connective("What is a large fraction of one's income to give away, again?")
    assert qd.trailing_connective("What is a large fraction of the income again?")
    assert not qd.trailing_connective("What did the committee approve in 2019?")
    assert not qd.trailing_connective("True or false? The monitor runs again.")


def test_lowered_name() -> None:
    source = qd.Source.from_pages({1: "Leibniz published in 1684. The notation of Leibniz is used widely."})
    quote = "Leibniz published in 1684."
    assert qd.lowered_name("In what year did leibniz publish?", quote, source)
    assert not qd.lowered_name("In what year did Leibniz publish?", quote, source)
    assert not qd.lowered_name(
        "What did the notation show?", "The notation of Leibniz is used widely.", source
    )
