"""Generation with an `openai` deployment: the real gateway and provider, a loopback LLM that fails like one.

Every misbehaviour is asked for once more; a second one leaves only that part out, named by its pages in
the warnings. The same checks as for the built-in model hold for what is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.authoring.api.support import TRACEMONKEY_SET_ASIDE
from tests.authoring.generation.fake_llm import AZURE_DEPLOYMENT, INVENTED, FakeLLM
from tests.support.platform import FAST_AUTH, open_runtime
from tutela.authoring.generation.checks import check_grounding
from tutela.authoring.generation.exceptions import GenerationFailed, NothingGenerated
from tutela.authoring.generation.pipeline import generate_module, plan_chapters
from tutela.authoring.generation.schemas import Module, QuestionType
from tutela.authoring.ingest import ExtractedDocument, IngestLimits, extract_pdf
from tutela.config import Settings
from tutela.core.organizations import service as organizations
from tutela.gateway.access import Caller, caller_for_org
from tutela.gateway.deployments import service as deployments
from tutela.gateway.pipeline import Gateway
from tutela.gateway.providers.registry import default_registry
from tutela.gateway.resources import service as resources
from tutela.gateway.safety import service as safety
from tutela.gateway.safety.schemas import CompletionFilter, FilterSettings, PromptFilter
from tutela.runtime import Runtime

TRACEMONKEY = Path(__file__).parents[2] / "fixtures" / "pdf" / "real" / "tracemonkey.pdf"
OPTIMIZATION = "5. Trace Tree Optimization"  # pages 7-8
HARM_OFF = {"hate": "off", "sexual": "off", "violence": "off", "self_harm": "off"}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM.running() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh(llm: FakeLLM) -> None:
    llm.reset()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("llm"), auth=FAST_AUTH)
    with open_runtime(settings) as rt:
        yield rt


@pytest.fixture(scope="module")
def caller(runtime: Runtime, llm: FakeLLM) -> Caller:
    """An organization with a `gpt` deployment on the loopback LLM; harm categories are not the subject
    here, so the classifier's verdicts cannot change what these tests see."""
    org = organizations.create(runtime, name="LLM users", region=runtime.settings.home_region, actor="test")
    with runtime.region_session(org.id) as db:
        resource = resources.find_resource(db, org_id=org.id, name="default")
        assert resource is not None
        row = deployments.create(
            runtime,
            db,
            registry=default_registry(plugins=False),
            org_id=org.id,
            resource_id=resource.id,
            name="gpt",
            provider="openai",
            model="gpt-4o-mini",
            base_url=llm.base_url,
            api_key=llm.api_key,
        )
        policy = FilterSettings(prompt=PromptFilter(**HARM_OFF), completion=CompletionFilter(**HARM_OFF))
        safety.set_filter(db, org_id=org.id, deployment_id=row.id, settings=policy)
        azure = deployments.create(
            runtime,
            db,
            registry=default_registry(plugins=False),
            org_id=org.id,
            resource_id=resource.id,
            name="azure-gpt",
            provider="azure-openai",
            model=AZURE_DEPLOYMENT,
            base_url=llm.url,
            api_key=llm.api_key,
            api_version="2024-10-21",
        )
        safety.set_filter(db, org_id=org.id, deployment_id=azure.id, settings=policy)
        deployments.create(
            runtime,
            db,
            registry=default_registry(plugins=False),
            org_id=org.id,
            resource_id=resource.id,
            name="gpt-revoked",
            provider="openai",
            model="gpt-4o-mini",
            base_url=llm.base_url,
            api_key="sk-revoked-0123456789",
        )
    return caller_for_org(runtime, org.id)


@pytest.fixture(scope="module")
def tracemonkey() -> ExtractedDocument:
    return extract_pdf(TRACEMONKEY.read_bytes(), limits=IngestLimits())


def _generate(
    runtime: Runtime,
    caller: Caller,
    document: ExtractedDocument,
    instructions: str = "",
    question_types: list[QuestionType] | None = None,
    deployment: str = "gpt",
) -> tuple[Module, list[str]]:
    left_out: list[str] = []

    async def run() -> Module:
        gateway = Gateway(runtime)
        try:
            return await generate_module(
                gateway=gateway,
                caller=caller,
                document=document,
                deployment=deployment,
                instructions=instructions,
                left_out=left_out,
                question_types=question_types or [],
            )
        finally:
            await gateway.close()

    module = asyncio.run(run())
    # Tracemonkey's title block, acknowledgments and references: named first, before anything left out.
    assert left_out[0] == TRACEMONKEY_SET_ASIDE
    return module, left_out[1:]


def _lessons(document: ExtractedDocument) -> int:
    return sum(len(chapter) for chapter in plan_chapters(document))


def test_a_well_behaved_llm_writes_every_part_once(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument
) -> None:
    module, left_out = _generate(runtime, caller, tracemonkey)
    assert left_out == []
    assert llm.asked.count("module_outline") == 1 and llm.asked.count("summary") == 1
    assert llm.asked.count("lesson") == _lessons(tracemonkey)
    assert module.title == "A course from the source" and module.summary
    assert sum(len(c.lessons) for c in module.chapters) == _lessons(tracemonkey)
    assert module.questions
    assert [f for f in check_grounding(module, tracemonkey) if f.severity == "error"] == []


@pytest.mark.parametrize("play", ["bad_json", "invented_quote", "truncated"])
def test_one_bad_reply_is_asked_for_again_and_nothing_is_lost(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument, play: str
) -> None:
    llm.misbehave("lesson", play, section=OPTIMIZATION)  # type: ignore[arg-type]
    module, left_out = _generate(runtime, caller, tracemonkey)
    assert left_out == []
    assert llm.asked.count("lesson") == _lessons(tracemonkey) + 1
    assert sum(len(c.lessons) for c in module.chapters) == _lessons(tracemonkey)
    assert INVENTED not in module.model_dump_json()


def test_an_azure_openai_deployment_takes_the_same_path(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument
) -> None:
    llm.misbehave("lesson", "invented_quote", "invented_quote", section=OPTIMIZATION)
    llm.misbehave("question_set", "bad_json")
    module, left_out = _generate(runtime, caller, tracemonkey, deployment="azure-gpt")
    assert left_out == ["The lesson on pages 7-8 left out: its quotes were not found in the source, twice"]
    assert llm.asked.count("question_set") == 2 and module.questions
    assert INVENTED not in module.model_dump_json()
    assert [f for f in check_grounding(module, tracemonkey) if f.severity == "error"] == []


@pytest.mark.parametrize(
    ("play", "reason"),
    [
        ("bad_json", "the model's reply did not match the lesson schema, twice"),
        ("truncated", "the model's reply was cut off at its token limit, twice"),
        ("invented_quote", "its quotes were not found in the source, twice"),
        ("refused", "the content filter refused its source text"),
    ],
)
def test_a_second_bad_reply_leaves_that_lesson_out_and_names_its_pages(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument, play: str, reason: str
) -> None:
    llm.misbehave("lesson", play, play, section=OPTIMIZATION)  # type: ignore[arg-type]
    module, left_out = _generate(runtime, caller, tracemonkey)
    assert left_out == [f"The lesson on pages 7-8 left out: {reason}"]
    lessons = [le.title for c in module.chapters for le in c.lessons]
    assert "5. Trace Tree Optimization" not in lessons and len(lessons) == _lessons(tracemonkey) - 1
    assert INVENTED not in module.model_dump_json()
    assert [f for f in check_grounding(module, tracemonkey) if f.severity == "error"] == []


def test_questions_whose_key_the_quote_does_not_support_are_left_out_after_a_retry(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument
) -> None:
    llm.misbehave("question_set", "wrong_key", "wrong_key")
    module, left_out = _generate(runtime, caller, tracemonkey, "Write 10 questions in total.")
    assert llm.asked.count("question_set") == 2
    # 12 asked for (10 and a margin): the 5 single-choice and fill-in-the-blank ones have wrong keys.
    assert left_out == [
        "5 questions on pages 1-13 left out: their answers or quotes could not be verified against the "
        "source",
        "7 of the 10 questions asked for could be made: some were left out (see above)",
    ]
    assert len(module.questions) == 7 and "zeppelin" not in module.model_dump_json()
    assert [f for f in check_grounding(module, tracemonkey) if f.severity == "error"] == []


def test_the_types_asked_for_reach_the_model_in_its_response_schema(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument
) -> None:
    module, left_out = _generate(runtime, caller, tracemonkey, "Write 6 questions in total.", ["true_false"])
    assert left_out == [] and [q.type for q in module.questions] == ["true_false"] * 6


@pytest.mark.parametrize(
    ("play", "reason"),
    [
        ("refused", "the content filter refused its source text"),
        ("too_long", "the model rejected the request (context_length_exceeded)"),
    ],
)
def test_a_refused_outline_gives_way_to_the_documents_headings(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument, play: str, reason: str
) -> None:
    llm.misbehave("module_outline", play)  # type: ignore[arg-type]
    module, left_out = _generate(runtime, caller, tracemonkey)
    assert left_out == [f"The outline left out: {reason}; the chapters follow the document's own headings"]
    titles = [c.title for c in module.chapters]
    assert "1. Introduction" in titles and "7. Evaluation" in titles
    assert module.title == tracemonkey.title or module.title == titles[0]
    assert sum(len(c.lessons) for c in module.chapters) == _lessons(tracemonkey)


def test_a_summary_the_model_cannot_write_is_left_out(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument
) -> None:
    llm.misbehave("summary", "truncated", "bad_json")
    module, left_out = _generate(runtime, caller, tracemonkey)
    assert module.summary == "" and module.chapters
    assert left_out == [
        "The summary of pages 1-13 left out: the model's reply did not match the summary schema, twice"
    ]


def test_nothing_written_fails_saying_why_and_what_to_change(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument
) -> None:
    llm.misbehave("lesson", *["refused"] * _lessons(tracemonkey))
    with pytest.raises(NothingGenerated) as raised:
        _generate(runtime, caller, tracemonkey)
    message = raised.value.message
    assert message.startswith("Nothing could be generated: the content filter refused the text of every")
    assert "authoring_document_filter" in message


def test_a_model_that_cannot_be_used_at_all_fails_the_job_at_once(
    runtime: Runtime, caller: Caller, llm: FakeLLM, tracemonkey: ExtractedDocument
) -> None:
    """Not a part's problem: the first request fails the job, naming its stage, without asking for more."""
    with pytest.raises(GenerationFailed, match=r"^outline: The upstream rejected the gateway's credentials"):
        _generate(runtime, caller, tracemonkey, deployment="gpt-revoked")
    assert llm.calls == 1 and llm.asked == []  # the outline's request only, refused with 401
