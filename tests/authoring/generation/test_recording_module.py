"""A module made from a recording's transcript speaks of moments, never of pages: its titles, the notes on
what was left out, its check findings and every LMS export cite "0:12–0:18" where a PDF's cite "page 3".

The transcript is what transcription stores (recordings/service.py `build`): one page per segment, with its
time span; generation runs in process through the real gateway and its built-in extractive model.
"""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import Iterator

import pytest

from tests.support.platform import FAST_AUTH, open_runtime
from tutela.authoring.exports import export_module
from tutela.authoring.generation.checks import check_grounding
from tutela.authoring.generation.exceptions import NothingGenerated
from tutela.authoring.generation.pipeline import generate_module
from tutela.authoring.generation.schemas import Module
from tutela.authoring.generation.timing import with_times
from tutela.authoring.ingest.document import ExtractedDocument
from tutela.authoring.recordings.service import Segment, build
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import caller_for_org
from tutela.gateway.deployments import service as deployments
from tutela.gateway.pipeline import Gateway
from tutela.gateway.resources import service as resources
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.schemas import BlocklistItemCreate, CompletionFilter, FilterSettings, PromptFilter
from tutela.runtime import Runtime

SPOKEN = [
    "Welcome to the fire safety briefing for new employees of the warehouse.",
    "Every employee must know where the nearest emergency exit is located.",
    "Emergency exits are marked with green signs and must never be blocked by pallets.",
    "When the fire alarm sounds, stop your work and leave the building at once.",
    "Do not use the lifts during a fire, because the power may fail.",
    "The assembly point is the car park on the north side of the building.",
    "Fire extinguishers hang beside every exit and are checked once a year.",
    "A carbon dioxide extinguisher is used on electrical fires.",
    "A water extinguisher must never be used on burning oil or electrical equipment.",
    "First aid kits are kept in the canteen and in the loading bay office.",
    "Report every injury to your supervisor, even a small cut or burn.",
    "Trained first aiders wear a green badge with a white cross.",
]
# Segments of about six seconds with short pauses: the last one ends at 1:21.
SEGMENTS = [Segment(6.5 * i + 3.0, 6.5 * i + 8.5, text) for i, text in enumerate(SPOKEN)]
_PAGE_WORDS = re.compile(r"\bp(?:ages?)?\.?\s*\d", re.IGNORECASE)  # "page 3", "pages 1-4", "p. 4"
_SPAN = re.compile(r"^\d+:\d\d–\d+:\d\d$")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with open_runtime(Settings(data_dir=tmp_path_factory.mktemp("rec"), auth=FAST_AUTH)) as rt:
        yield rt


@pytest.fixture(scope="module")
def transcript() -> ExtractedDocument:
    return build("Fire safety briefing", "en", SEGMENTS)


def _generate(runtime: Runtime, org_id: str, document: ExtractedDocument, left_out: list[str]) -> Module:
    gateway = Gateway(runtime)

    async def run() -> Module:
        try:
            return await generate_module(
                gateway=gateway, caller=caller_for_org(runtime, org_id), document=document, left_out=left_out
            )
        finally:
            await gateway.close()

    return asyncio.run(run())


@pytest.fixture(scope="module")
def module(runtime: Runtime, transcript: ExtractedDocument) -> Module:
    org = organizations.create(runtime, name="Speakers", region=runtime.settings.home_region, actor="test")
    left_out: list[str] = []
    made = _generate(runtime, org.id, transcript, left_out)
    assert not [n for n in left_out if _PAGE_WORDS.search(n)], left_out
    # As the module is stored (modules/service.py save_content): citations timed, titles by time span.
    return with_times(made, transcript)


def test_titles_name_time_spans_never_pages(module: Module, transcript: ExtractedDocument) -> None:
    titles = [c.title for c in module.chapters] + [le.title for c in module.chapters for le in c.lessons]
    assert not [t for t in titles if _PAGE_WORDS.search(t)], titles
    lessons = [le.title for c in module.chapters for le in c.lessons]
    # The built-in model names an untitled stretch by its pages ("Pages 1–12"): stored, it is its span.
    assert lessons == ["0:03–1:20"], lessons
    assert all(c.start is not None for c in module.chapters[0].lessons[0].citations)


def test_a_title_naming_pages_is_renamed_only_in_a_recording(transcript: ExtractedDocument) -> None:
    def lesson(title: str) -> Module:
        citation = {"page": 2, "quote": "Every employee"}
        return Module.model_validate(
            {
                "title": "t",
                "language": "en",
                "chapters": [
                    {
                        "title": "Page 4",
                        "lessons": [{"title": title, "content": "x", "citations": [citation]}],
                    }
                ],
                "summary": "",
                "questions": [],
            }
        )

    for written, expected in (
        ("Pages 1–10", "0:03–1:07"),
        ("Pages 3-5 (2)", "0:16–0:34 (2)"),
        ("Seiten 2–3", "0:09–0:21"),
        ("Pages 2 à 3", "0:09–0:21"),
        ("Page 12", "1:14–1:20"),
        ("Pages on fire exits", "Pages on fire exits"),  # a real title, kept
        ("Page 40", "Page 40"),  # no such segment: kept as written
    ):
        timed = with_times(lesson(written), transcript)
        assert timed.chapters[0].lessons[0].title == expected, written
        assert timed.chapters[0].title == "0:22–0:28"
    pdf = transcript.model_copy(update={"times": None})
    assert with_times(lesson("Pages 1–10"), pdf).chapters[0].lessons[0].title == "Pages 1–10"


def test_check_findings_name_the_moment(module: Module, transcript: ExtractedDocument) -> None:
    broken = module.model_copy(deep=True)
    question = broken.questions[0]
    question.citation = question.citation.model_copy(update={"quote": "words nobody said in the briefing"})
    question_page = question.citation.page
    lesson = broken.chapters[0].lessons[0]
    lesson.citations[0] = lesson.citations[0].model_copy(update={"page": 40})
    findings = {f.rule: f.message for f in check_grounding(with_times(broken, transcript), transcript)}
    start, end = SEGMENTS[question_page - 1].start, SEGMENTS[question_page - 1].end
    moment = f"{int(start) // 60}:{int(start) % 60:02d}–{int(end) // 60}:{int(end) % 60:02d}"
    assert findings["quote_not_found"] == f"the quote is not at {moment}: 'words nobody said in the briefing'"
    assert findings["page_out_of_range"] == (
        "the citation points past the end of the recording: its transcript has 12 segments"
    )


def _text(data: bytes) -> str:
    """A text export as text; a zipped one as the text of all its files."""
    if data[:2] != b"PK":
        return data.decode()
    archive = zipfile.ZipFile(io.BytesIO(data))
    return "".join(archive.read(name).decode() for name in archive.namelist())


def test_every_export_cites_the_moment(module: Module) -> None:
    assert module.questions
    moments = [q.citation.where for q in module.questions]
    assert all(_SPAN.match(m) for m in moments), moments
    for fmt in ("gift", "moodle_xml", "qti21", "qti30"):
        data = export_module(module, format_name=fmt).data
        text = _text(data).replace("\\:", ":")  # GIFT escapes the colon
        assert all(f"Source: {m}: " in text for m in moments), fmt
        assert not re.search(r"Source: (?:page|“[^”]*”, page)", text), fmt
    for fmt in ("scorm12", "cmi5"):
        archive = zipfile.ZipFile(io.BytesIO(export_module(module, format_name=fmt).data))
        html = archive.read("index.html").decode()
        assert all(f'"where": "{m}"' in html for m in moments), fmt


def test_nothing_written_names_the_recording_by_its_time_span(
    runtime: Runtime, transcript: ExtractedDocument
) -> None:
    org = organizations.create(runtime, name="Strict", region=runtime.settings.home_region, actor="test")
    with runtime.region_session(org.id) as db:
        listed = safety.create_blocklist(
            db, org_id=org.id, name="words", description="", items=[BlocklistItemCreate(pattern="employee")]
        )
        resource = resources.find_resource(db, org_id=org.id, name="default")
        assert resource is not None
        row = deployments.find(db, org_id=org.id, resource_id=resource.id, name="extractive")
        harm_off = CompletionFilter(hate="off", sexual="off", violence="off", self_harm="off")
        policy = FilterSettings(prompt=PromptFilter(blocklists=[listed.name]), completion=harm_off)
        safety.set_filter(db, org_id=org.id, deployment_id=row.id, settings=policy)
    with pytest.raises(NothingGenerated) as refused:
        _generate(runtime, org.id, transcript, [])
    assert "the content filter refused the text of every section (0:03–1:20)" in refused.value.message
    assert not _PAGE_WORDS.search(refused.value.message)
