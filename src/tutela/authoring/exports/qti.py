"""QTI 2.1 and QTI 3.0 item banks: one item per question, a test that holds them all, the manifest.

    imsmanifest.xml          IMS content package: one resource per item, one for the test
    test.xml                 assessmentTest: one linear part, one section, SCORE summed over the items
    items/Q1.xml …           assessmentItem: correctResponse, standard response processing, feedback

Question types: single choice and true/false are a `choiceInteraction` of single cardinality, multiple
choice one of multiple cardinality (full marks only for the exact set, as Tutela scores it), both scored
by the standard `match_correct` rules; fill-in-the-blank is a `textEntryInteraction` standing where the
blank was and short answer one after the stem, both scored by the standard `map_response` rules over the
accepted answers (case-insensitive). The rules are written out in the item (not only named by template) so
that they can also set FEEDBACK: the explanation and its citation are a `modalFeedback` shown after
answering. QTI 3.0 is the same document in its kebab-case vocabulary (`qti-choice-interaction`, …).
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass

from tutela.authoring.exports.report import Numbered
from tutela.authoring.exports.text import feedback, split_blank, xml_safe
from tutela.authoring.generation.schemas import Module, Question

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_EXPLANATION = "EXPLANATION"
_HTML = {"p"}  # XHTML content keeps its name in every version


@dataclass(frozen=True)
class Version:
    """What differs between QTI 2.1 and 3.0: namespaces, schema locations, resource types, spelling."""

    name: str
    namespace: str
    schema_location: str
    cp_namespace: str
    cp_schema_location: str
    item_type: str
    test_type: str
    package_schema: str
    kebab: bool

    def tag(self, name: str) -> str:
        """An element name in this version's vocabulary (`choiceInteraction` → `qti-choice-interaction`)."""
        return f"qti-{_kebab(name)}" if self.kebab and name not in _HTML else name

    def attr(self, name: str) -> str:
        """An attribute name in this version's vocabulary (`baseType` → `base-type`)."""
        return _kebab(name) if self.kebab else name


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


QTI21 = Version(
    name="qti21",
    namespace="http://www.imsglobal.org/xsd/imsqti_v2p1",
    schema_location="http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
    cp_namespace="http://www.imsglobal.org/xsd/imscp_v1p1",
    cp_schema_location="http://www.imsglobal.org/xsd/imscp_v1p1.xsd",
    item_type="imsqti_item_xmlv2p1",
    test_type="imsqti_test_xmlv2p1",
    package_schema="QTIv2.1 Package",
    kebab=False,
)
QTI30 = Version(
    name="qti30",
    namespace="http://www.imsglobal.org/xsd/imsqtiasi_v3p0",
    schema_location="https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd",
    cp_namespace="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1",
    cp_schema_location="https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd",
    item_type="imsqti_item_xmlv3p0",
    test_type="imsqti_test_xmlv3p0",
    package_schema="QTI Package",
    kebab=True,
)


class _Builder:
    """Elements and attributes in one version's vocabulary."""

    def __init__(self, version: Version) -> None:
        self.v = version

    def el(self, parent: ET.Element | None, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        attributes = {self.v.attr(k): value for k, value in attrs.items()}
        element = (
            ET.Element(self.v.tag(name), attributes)
            if parent is None
            else ET.SubElement(parent, self.v.tag(name), attributes)
        )
        if text is not None:
            element.text = xml_safe(text)
        return element

    def score(self, parent: ET.Element, value: str) -> None:
        setter = self.el(parent, "setOutcomeValue", identifier="SCORE")
        self.el(setter, "baseValue", value, baseType="float")


def _choice_ids(question: Question) -> dict[str, str]:
    return {option: f"C{n}" for n, option in enumerate(question.options, start=1)}


def _declarations(b: _Builder, item: ET.Element, question: Question) -> None:
    typed = question.type in ("fill_in_blank", "short_answer")
    cardinality = "multiple" if question.type == "multiple_choice" else "single"
    response = b.el(
        item,
        "responseDeclaration",
        identifier="RESPONSE",
        cardinality=cardinality,
        baseType="string" if typed else "identifier",
    )
    correct = b.el(response, "correctResponse")
    if typed:
        b.el(correct, "value", question.answer[0])
        mapping = b.el(response, "mapping", defaultValue="0", upperBound="1")
        for answer in question.answer:
            b.el(mapping, "mapEntry", mapKey=answer, mappedValue="1", caseSensitive="false")
    else:
        ids = _choice_ids(question)
        for answer in question.answer:
            b.el(correct, "value", ids[answer])
    score = b.el(item, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    b.el(b.el(score, "defaultValue"), "value", "0")
    b.el(item, "outcomeDeclaration", identifier="FEEDBACK", cardinality="single", baseType="identifier")


def _body(b: _Builder, item: ET.Element, question: Question) -> None:
    body = b.el(item, "itemBody")
    entry = {"responseIdentifier": "RESPONSE", "expectedLength": str(max(len(a) for a in question.answer))}
    if question.type == "fill_in_blank":
        before, after = split_blank(question.stem)
        paragraph = b.el(body, "p", before)
        b.el(paragraph, "textEntryInteraction", **entry).tail = xml_safe(after)
        return
    if question.type == "short_answer":
        b.el(body, "p", question.stem)
        b.el(b.el(body, "p"), "textEntryInteraction", **entry)
        return
    max_choices = "0" if question.type == "multiple_choice" else "1"
    interaction = b.el(
        body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false", maxChoices=max_choices
    )
    b.el(interaction, "prompt", question.stem)
    for option, identifier in _choice_ids(question).items():
        b.el(interaction, "simpleChoice", option, identifier=identifier)


def _processing(b: _Builder, item: ET.Element, question: Question) -> None:
    processing = b.el(item, "responseProcessing")
    condition = b.el(processing, "responseCondition")
    if question.type in ("fill_in_blank", "short_answer"):
        # The standard map_response template.
        when = b.el(condition, "responseIf")
        b.el(b.el(when, "isNull"), "variable", identifier="RESPONSE")
        b.score(when, "0.0")
        setter = b.el(b.el(condition, "responseElse"), "setOutcomeValue", identifier="SCORE")
        b.el(setter, "mapResponse", identifier="RESPONSE")
    else:
        # The standard match_correct template.
        when = b.el(condition, "responseIf")
        match = b.el(when, "match")
        b.el(match, "variable", identifier="RESPONSE")
        b.el(match, "correct", identifier="RESPONSE")
        b.score(when, "1")
        b.score(b.el(condition, "responseElse"), "0")
    show = b.el(processing, "setOutcomeValue", identifier="FEEDBACK")
    b.el(show, "baseValue", _EXPLANATION, baseType="identifier")


def item_xml(version: Version, number: int, question: Question, language: str) -> bytes:
    """One question as a QTI assessmentItem document."""
    b = _Builder(version)
    item = b.el(
        None,
        "assessmentItem",
        identifier=f"Q{number}",
        title=f"Question {number}",
        adaptive="false",
        timeDependent="false",
    )
    item.set(f"{{{_XSI}}}schemaLocation", f"{version.namespace} {version.schema_location}")
    if language != "und":
        item.set(_XML_LANG, language)
    _declarations(b, item, question)
    _body(b, item, question)
    _processing(b, item, question)
    modal = b.el(
        item, "modalFeedback", outcomeIdentifier="FEEDBACK", showHide="show", identifier=_EXPLANATION
    )
    if version.kebab:  # QTI 3 wraps feedback content in a body of its own
        modal = b.el(modal, "contentBody")
    for paragraph in feedback(question).split("\n\n"):
        b.el(modal, "p", paragraph)
    return _document(item, version.namespace)


def test_xml(version: Version, module: Module, numbers: list[int]) -> bytes:
    """The assessmentTest: every exported item in one linear section, SCORE as their sum."""
    b = _Builder(version)
    test = b.el(None, "assessmentTest", identifier="TEST", title=module.title)
    test.set(f"{{{_XSI}}}schemaLocation", f"{version.namespace} {version.schema_location}")
    b.el(test, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    part = b.el(test, "testPart", identifier="PART", navigationMode="linear", submissionMode="individual")
    section = b.el(part, "assessmentSection", identifier="SECTION", title=module.title, visible="true")
    for number in numbers:
        b.el(section, "assessmentItemRef", identifier=f"Q{number}", href=f"items/Q{number}.xml")
    total = b.el(b.el(test, "outcomeProcessing"), "setOutcomeValue", identifier="SCORE")
    b.el(b.el(total, "sum"), "testVariables", variableIdentifier="SCORE")
    return _document(test, version.namespace)


def manifest_xml(version: Version, module: Module, numbers: list[int]) -> bytes:
    """The IMS content package manifest: a resource per item, the test depending on them all."""
    ns = version.cp_namespace

    def el(parent: ET.Element, name: str, **attrs: str) -> ET.Element:
        return ET.SubElement(parent, name, attrs)

    manifest = ET.Element("manifest", {"identifier": "MANIFEST"})
    manifest.set(f"{{{_XSI}}}schemaLocation", f"{ns} {version.cp_schema_location}")
    metadata = el(manifest, "metadata")
    el(metadata, "schema").text = version.package_schema
    el(metadata, "schemaversion").text = "3.0.0" if version.kebab else "1.0.0"
    el(manifest, "organizations")
    resources = el(manifest, "resources")
    test = el(resources, "resource", identifier="RES-TEST", type=version.test_type, href="test.xml")
    el(test, "file", href="test.xml")
    for number in numbers:
        href = f"items/Q{number}.xml"
        el(test, "dependency", identifierref=f"RES-Q{number}")
        item = el(resources, "resource", identifier=f"RES-Q{number}", type=version.item_type, href=href)
        el(item, "file", href=href)
    return _document(manifest, ns)


def _document(root: ET.Element, default_namespace: str) -> bytes:
    # Names are written unqualified under a default namespace declared on the root (ElementTree's own
    # default_namespace option refuses unqualified attributes).
    root.set("xmlns", default_namespace)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def write(module: Module, kept: list[Numbered], version: Version) -> bytes:
    """The kept questions as a QTI content package (zip)."""
    buffer = io.BytesIO()
    numbers = [number for number, _ in kept]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, question in kept:
            archive.writestr(f"items/Q{number}.xml", item_xml(version, number, question, module.language))
        archive.writestr("test.xml", test_xml(version, module, numbers))
        archive.writestr("imsmanifest.xml", manifest_xml(version, module, numbers))
    return buffer.getvalue()
