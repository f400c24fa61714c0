"""QTI 2.1/3.0, Moodle XML, GIFT and Aiken question banks, checked by third parties: the official XSDs
(lxml), gift-pegjs and an XML parser; hostile text must come back exactly as written."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from tests.authoring.exports.checkers import (
    QTI21_ITEM,
    QTI21_PACKAGE,
    QTI30_ITEM,
    QTI30_PACKAGE,
    parse_gift,
    schema_errors,
)
from tests.authoring.exports.hostile import hostile_module
from tutela.authoring.exports import UnknownFormat, export_module
from tutela.authoring.exports.text import feedback
from tutela.authoring.generation.schemas import Module

QTI = {
    "qti21": ("http://www.imsglobal.org/xsd/imsqti_v2p1", QTI21_ITEM, QTI21_PACKAGE, ""),
    "qti30": ("http://www.imsglobal.org/xsd/imsqtiasi_v3p0", QTI30_ITEM, QTI30_PACKAGE, "qti-"),
}


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def module() -> Module:
    return hostile_module()


@pytest.mark.parametrize("fmt", ["qti21", "qti30"])
def test_qti_package_is_valid_against_the_official_schemas(module: Module, fmt: str) -> None:
    namespace, item_xsd, package_xsd, prefix = QTI[fmt]
    export = export_module(module, format_name=fmt)
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    names = archive.namelist()
    items = [f"items/Q{n}.xml" for n in range(1, 6)]
    assert sorted(names) == sorted([*items, "test.xml", "imsmanifest.xml"])
    assert schema_errors(archive.read("imsmanifest.xml"), package_xsd) == []
    for name in [*items, "test.xml"]:
        assert schema_errors(archive.read(name), item_xsd) == [], name
    manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    hrefs = {f.get("href") for f in manifest.iter("{*}file")}
    assert hrefs == {*items, "test.xml"}
    test = etree.fromstring(archive.read("test.xml"))
    refs = [r.get("href") for r in test.iter(f"{{{namespace}}}{_qti_name(prefix, 'assessmentItemRef')}")]
    assert refs == items
    assert export.report.questions_exported == 5 and export.report.omitted == []


def _kebab(camel: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in camel)


def _qti_name(prefix: str, camel: str) -> str:
    return prefix + _kebab(camel) if prefix else camel


@pytest.mark.parametrize("fmt", ["qti21", "qti30"])
def test_qti_items_keep_the_key_the_text_and_the_citation(module: Module, fmt: str) -> None:
    namespace, _, _, prefix = QTI[fmt]

    def find(root: etree._Element, camel: str) -> list[etree._Element]:
        return list(root.iter(f"{{{namespace}}}{_qti_name(prefix, camel)}"))

    archive = zipfile.ZipFile(io.BytesIO(export_module(module, format_name=fmt).data))
    for number, question in enumerate(module.questions, start=1):
        item = etree.fromstring(archive.read(f"items/Q{number}.xml"))
        correct = [v.text for v in find(find(item, "correctResponse")[0], "value")]
        body = find(item, "itemBody")[0]
        if question.type in ("fill_in_blank", "short_answer"):
            assert correct == question.answer[:1]
            assert [
                e.get(_kebab("mapKey") if prefix else "mapKey") for e in find(item, "mapEntry")
            ] == question.answer
            assert len(find(body, "textEntryInteraction")) == 1
            assert _flat("".join(body.itertext())) == _flat(question.stem.replace("_____", ""))
        else:
            choices = {c.get("identifier"): c.text for c in find(body, "simpleChoice")}
            assert list(choices.values()) == question.options
            assert sorted(choices[c] for c in correct) == sorted(question.answer)
            assert find(body, "prompt")[0].text == question.stem
            cardinality = find(item, "responseDeclaration")[0].get("cardinality")
            assert cardinality == ("multiple" if question.type == "multiple_choice" else "single")
        shown = "\n\n".join(p.text or "" for p in find(item, "modalFeedback")[0].iter("{*}p"))
        assert shown == feedback(question) and question.citation.quote in shown


def test_moodle_xml_keeps_each_type_the_key_the_text_and_the_citation(module: Module) -> None:
    export = export_module(module, format_name="moodle_xml")
    quiz = etree.fromstring(export.data)
    questions = quiz.findall("question")[1:]
    assert quiz.find("question").get("type") == "category"
    types = [q.get("type") for q in questions]
    assert types == ["multichoice", "multichoice", "truefalse", "shortanswer", "shortanswer"]
    for element, question in zip(questions, module.questions, strict=True):
        assert element.findtext("questiontext/text") == question.stem
        assert element.findtext("generalfeedback/text") == feedback(question)
        answers = {a.findtext("text"): float(a.get("fraction")) for a in element.findall("answer")}
        if question.type in ("fill_in_blank", "short_answer"):
            assert [a.replace("\\*", "*") for a in answers] == question.answer
            assert set(answers.values()) == {100.0}
            continue
        assert list(answers) == question.options
        right = [a for a, fraction in answers.items() if fraction > 0]
        assert sorted(right) == sorted(question.answer)
        assert sum(f for f in answers.values() if f > 0) == pytest.approx(100, abs=0.01)


def test_gift_parses_with_gift_pegjs_and_keeps_every_character(module: Module) -> None:
    export = export_module(module, format_name="gift")
    parsed = parse_gift(export.data.decode("utf-8"))
    assert [q["type"] for q in parsed] == ["MC", "MC", "TF", "Short", "Short"]
    for found, question in zip(parsed, module.questions, strict=True):
        assert found["globalFeedback"]["text"] == feedback(question)
        if question.type == "true_false":
            assert found["isTrue"] is True
        elif question.type in ("fill_in_blank", "short_answer"):
            texts = [c["text"]["text"].replace("\\*", "*") for c in found["choices"]]
            assert texts == question.answer and all(c["isCorrect"] for c in found["choices"])
        else:
            texts = [c["text"]["text"] for c in found["choices"]]
            assert texts == question.options
            weights = [c["weight"] for c in found["choices"]]
            right = [c["text"]["text"] for c in found["choices"] if c["isCorrect"] or (c["weight"] or 0) > 0]
            assert sorted(right) == sorted(question.answer), weights
        if question.type == "fill_in_blank":
            assert found["hasEmbeddedAnswers"] is True
            before, _, after = question.stem.partition("_____")
            assert _flat(found["stem"]["text"]) == _flat(before + " _____ " + after)
        else:
            assert _flat(found["stem"]["text"]) == _flat(question.stem)


def test_aiken_writes_single_answer_questions_and_lists_the_rest(module: Module) -> None:
    export = export_module(module, format_name="aiken")
    report = export.report
    assert (report.questions_total, report.questions_exported) == (5, 2)
    assert [(o.question, o.type) for o in report.omitted] == [
        (2, "multiple_choice"),
        (4, "fill_in_blank"),
        (5, "short_answer"),
    ]
    assert report.notes and "citations" in report.notes[0]
    blocks = export.data.decode("utf-8").split("\n\n")
    assert len(blocks) == 2
    first = blocks[0].splitlines()
    assert first[0] == _flat(module.questions[0].stem)
    assert first[1:5] == [
        f"{letter}. {_flat(o)}" for letter, o in zip("ABCD", module.questions[0].options, strict=True)
    ]
    assert first[5] == "ANSWER: B"
    assert blocks[1].splitlines()[1:] == ["A. True", "B. False", "ANSWER: A"]


def test_aiken_leaves_out_a_stem_it_would_misread(module: Module) -> None:
    question = module.questions[0].model_copy(update={"stem": "B. starts like an option"})
    tricky = module.model_copy(update={"questions": [question]})
    export = export_module(tricky, format_name="aiken")
    assert export.data == b"" and "misread" in export.report.omitted[0].reason


def test_an_unknown_format_is_refused_with_the_known_ones(module: Module) -> None:
    with pytest.raises(
        UnknownFormat, match="scorm12, scorm2004, cmi5, qti21, qti30, moodle_xml, gift, aiken"
    ):
        export_module(module, format_name="scorm3")


def test_every_format_writes_an_empty_question_bank(module: Module) -> None:
    empty = module.model_copy(update={"questions": []})
    for fmt in ("scorm12", "scorm2004", "cmi5", "qti21", "qti30", "moodle_xml", "gift", "aiken"):
        assert export_module(empty, format_name=fmt).report.questions_exported == 0
