"""cmi5: the course structure (`cmi5.xml`) and one assignable unit, the offline player speaking xAPI.

    cmi5.xml        one course, one AU (`index.html`), moveOn CompletedAndPassed, the pass mark as
                    masteryScore
    index.html      the module's lessons and quiz (as in the SCORM packages)
    cmi5.js         the launch: token from `fetch`, LMS.LaunchData, the learner's place in a state
                    document, the cmi5 statements (initialized, completed, passed/failed, terminated) and
                    one `answered` statement per question, sent to the LMS's endpoint (player/cmi5.js)
    player.js, player.css

The AU talks only to the endpoint the LMS gives it at launch; nothing else is requested. The LMS's
masteryScore, when it sets one in LMS.LaunchData, replaces the package's pass mark.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from importlib.resources import files

from tutela.authoring.exports.report import Numbered
from tutela.authoring.exports.scorm import index_html, scaled
from tutela.authoring.exports.text import slug, xml_safe
from tutela.authoring.generation.schemas import Module

NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
AU_FILES = ("cmi5.js", "player.js", "player.css")


def _langstring(parent: ET.Element, tag: str, text: str, language: str) -> None:
    element = ET.SubElement(parent, tag)
    ET.SubElement(element, "langstring", lang=language).text = xml_safe(text)


def course_structure(module: Module, pass_mark: int) -> bytes:
    """cmi5.xml: the course and its one AU."""
    language = module.language if module.language != "und" else "en"
    course_id = f"urn:tutela:module:{slug(module.title)}"
    root = ET.Element("courseStructure", {"xmlns": NAMESPACE})
    course = ET.SubElement(root, "course", id=course_id)
    _langstring(course, "title", module.title, language)
    _langstring(course, "description", module.summary or module.title, language)
    au = ET.SubElement(
        root,
        "au",
        id=f"{course_id}:au",
        moveOn="CompletedAndPassed",
        masteryScore=scaled(pass_mark),
        launchMethod="AnyWindow",
    )
    _langstring(au, "title", module.title, language)
    _langstring(au, "description", module.summary or module.title, language)
    ET.SubElement(au, "url").text = "index.html"
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


NOTES = ("Pass mark {pass_mark}% (masteryScore) unless the LMS sets its own.",)


def write(module: Module, kept: list[Numbered], pass_mark: int) -> bytes:
    """The module with the kept questions as a cmi5 course package (zip), passed at `pass_mark` percent."""
    player = files("tutela.authoring.exports") / "player"
    shown = module.model_copy(update={"questions": [question for _, question in kept]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", course_structure(shown, pass_mark))
        archive.writestr(
            "index.html", index_html(shown, standard="cmi5", tracker="cmi5.js", pass_mark=pass_mark)
        )
        for name in AU_FILES:
            archive.writestr(name, (player / name).read_bytes())
    return buffer.getvalue()
