"""SCORM 1.2 and SCORM 2004 4th edition packages: the module as a self-contained offline player.

    imsmanifest.xml     one organization, one item, one SCO (`index.html`) with its files
    index.html          the module's lessons and quiz, as data inside the page (no external request)
    player.js           the lessons, the quiz and the result (player/player.js)
    scorm.js            talks to the LMS: initialise, location and suspend_data for resuming, one
                        interaction per question, score, completion and success against the pass mark,
                        terminate (player/scorm.js)
    player.css

The module's pass mark travels in the manifest (`adlcp:masteryscore` in 1.2; the primary objective's
`minNormalizedMeasure`, satisfied by measure, in 2004); the player prefers the value the LMS hands it
(`cmi.student_data.mastery_score`, `cmi.scaled_passing_score`). Every question type runs in the player;
the interaction types are `choice`, `true-false` and `fill-in`. The answer key is inside the package, as in
every self-scoring SCORM package: a learner who opens the files can read it.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from importlib.resources import files

from tutela.authoring.exports.report import Numbered
from tutela.authoring.exports.text import slug, xml_safe
from tutela.authoring.generation.schemas import Module

DEFAULT_PASS_MARK = 80  # percent of right answers that passes, for a module.json that names none
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
PLAYER_FILES = ("scorm.js", "player.js", "player.css")


@dataclass(frozen=True)
class Edition:
    """What differs between SCORM 1.2 and 2004 4th edition."""

    name: str
    namespace: str
    adlcp: str
    schema_locations: str
    schema_version: str


SCORM12 = Edition(
    name="scorm12",
    namespace="http://www.imsproject.org/xsd/imscp_rootv1p1p2",
    adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2",
    schema_locations=(
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd "
        "http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd"
    ),
    schema_version="1.2",
)
SCORM2004 = Edition(
    name="scorm2004",
    namespace="http://www.imsglobal.org/xsd/imscp_v1p1",
    adlcp="http://www.adlnet.org/xsd/adlcp_v1p3",
    schema_locations=(
        "http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd "
        "http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd "
        "http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd"
    ),
    schema_version="2004 4th Edition",
)
_IMSSS = "http://www.imsglobal.org/xsd/imsss"


def scaled(pass_mark: int) -> str:
    """A pass mark in percent as a SCORM/cmi5 scaled score (0 to 1), e.g. 75 -> "0.75"."""
    return f"{pass_mark / 100:g}"


def player_data(module: Module, standard: str, pass_mark: int) -> dict[str, object]:
    """What the player shows and scores: the lessons as pages, the questions with their key."""
    pages = [
        {"chapter": chapter.title, "title": lesson.title, "content": lesson.content}
        for chapter in module.chapters
        for lesson in chapter.lessons
    ]
    return {
        "standard": standard,
        "title": module.title,
        "passMark": pass_mark / 100,
        "labels": {"true": "True", "false": "False"},
        "pages": pages,
        # `where`: the citation in words ("page 3", "0:12–0:18" in a recording), as every export says it.
        "questions": [{**q.model_dump(), "where": q.citation.where} for q in module.questions],
    }


def index_html(module: Module, *, standard: str, tracker: str, pass_mark: int) -> str:
    """The player's page with the module inside it as JSON (`<` escaped so no text can close the script)."""
    template = (files("tutela.authoring.exports") / "player" / "index.html").read_text(encoding="utf-8")
    data = json.dumps(player_data(module, standard, pass_mark), ensure_ascii=False).replace("<", "\\u003c")
    title = module.title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    language = module.language if module.language != "und" else "en"
    filled = template.replace("{lang}", language).replace("{title}", title).replace("{tracker}", tracker)
    return filled.replace("{data}", data)


def manifest_xml(module: Module, edition: Edition, pass_mark: int) -> bytes:
    """The package manifest: one organization, one item, one SCO resource with every file."""
    ns, adlcp = edition.namespace, edition.adlcp
    ET.register_namespace("adlcp", adlcp)
    ET.register_namespace("imsss", _IMSSS)

    def el(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, name, attrs)
        element.text = text
        return element

    manifest = ET.Element("manifest", {"identifier": f"tutela-{slug(module.title)}", "version": "1"})
    manifest.set("xmlns", ns)
    manifest.set(f"{{{_XSI}}}schemaLocation", edition.schema_locations)
    metadata = el(manifest, "metadata")
    el(metadata, "schema", "ADL SCORM")
    el(metadata, "schemaversion", edition.schema_version)
    organizations = el(manifest, "organizations", default="ORG")
    organization = el(organizations, "organization", identifier="ORG")
    el(organization, "title", xml_safe(module.title))
    item = el(organization, "item", identifier="ITEM", identifierref="SCO")
    el(item, "title", xml_safe(module.title))
    if edition is SCORM12:
        el(item, f"{{{adlcp}}}masteryscore", str(pass_mark))
    else:
        sequencing = ET.SubElement(item, f"{{{_IMSSS}}}sequencing")
        objectives = ET.SubElement(sequencing, f"{{{_IMSSS}}}objectives")
        primary = ET.SubElement(
            objectives, f"{{{_IMSSS}}}primaryObjective", {"objectiveID": "PASS", "satisfiedByMeasure": "true"}
        )
        ET.SubElement(primary, f"{{{_IMSSS}}}minNormalizedMeasure").text = scaled(pass_mark)
    resources = el(manifest, "resources")
    scorm_type = "scormtype" if edition is SCORM12 else "scormType"
    resource = el(resources, "resource", identifier="SCO", type="webcontent", href="index.html")
    resource.set(f"{{{adlcp}}}{scorm_type}", "sco")
    for name in ("index.html", *PLAYER_FILES):
        el(resource, "file", href=name)
    ET.indent(manifest)
    data: bytes = ET.tostring(manifest, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


NOTES = ("Pass mark {pass_mark}% unless the LMS sets its own.",)


def write(module: Module, kept: list[Numbered], edition: Edition, pass_mark: int) -> bytes:
    """The module with the kept questions as a SCORM package (zip), passed at `pass_mark` percent."""
    player = files("tutela.authoring.exports") / "player"
    shown = module.model_copy(update={"questions": [question for _, question in kept]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest_xml(shown, edition, pass_mark))
        archive.writestr(
            "index.html", index_html(shown, standard=edition.name, tracker="scorm.js", pass_mark=pass_mark)
        )
        for name in PLAYER_FILES:
            archive.writestr(name, (player / name).read_bytes())
    return buffer.getvalue()
