"""The structured-output schemas: shapes that must be refused, and the exported module.json schema."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tutela.authoring.generation.schemas import SCHEMAS, Module, Question, QuestionSet

ROOT = Path(__file__).resolve().parents[3]
CITATION = {"page": 1, "quote": "A data controller decides why data is processed."}


def question(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "single_choice",
        "stem": "Which option completes the statement? A _____ decides why data is processed.",
        "options": ["data controller", "data processor", "supervisory authority"],
        "answer": ["data controller"],
        "explanation": "The source says so.",
        "citation": CITATION,
    }
    return {**base, **changes}


def test_a_valid_module_round_trips() -> None:
    module = Module.model_validate(
        {
            "title": "Data protection",
            "language": "en",
            "chapters": [
                {
                    "title": "Basics",
                    "lessons": [{"title": "Roles", "content": "Text.", "citations": [CITATION]}],
                }
            ],
            "summary": "Summary.",
            "questions": [question()],
        }
    )
    again = Module.model_validate_json(module.model_dump_json())
    assert again == module
    assert again.questions[0].citation.page == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"answer": ["data controller", "data processor"]},  # two answers to a single choice
        {"answer": ["nobody"]},  # answer not among the options
        {"options": ["data controller", "Data  Controller", "x"]},  # duplicate options
        {"options": ["data controller", "data processor"]},  # too few options for single choice
        {"type": "true_false", "options": ["yes", "no"], "answer": ["yes"]},
        {"type": "true_false", "options": ["true", "false"], "answer": ["true", "false"]},
        {"type": "fill_in_blank", "options": [], "stem": "No blank here.", "answer": ["x"]},
        {"type": "short_answer", "answer": ["data controller"]},  # short answer takes no options
        {"citation": {"page": 0, "quote": "x"}},  # pages start at 1
        {"surprise": 1},  # extra fields are refused
    ],
)
def test_inconsistent_questions_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Question.model_validate(question(**changes))


def test_duplicate_stems_are_refused() -> None:
    with pytest.raises(ValidationError):
        QuestionSet.model_validate({"questions": [question(), question()]})


def test_every_question_type_has_a_valid_shape() -> None:
    QuestionSet.model_validate(
        {
            "questions": [
                question(),
                question(
                    type="multiple_choice", stem="Which are true?", options=["a", "b", "c"], answer=["a", "b"]
                ),
                question(
                    type="true_false", stem="True or false? X.", options=["true", "false"], answer=["false"]
                ),
                question(
                    type="fill_in_blank", stem="Fill: A _____ decides.", options=[], answer=["controller"]
                ),
                question(type="short_answer", stem="What is X?", options=[], answer=["a thing"]),
            ]
        }
    )


def test_schema_names_cover_the_engine_outputs() -> None:
    assert {"module_outline", "lesson", "question_set", "summary", "module"} <= set(SCHEMAS)


def test_exported_module_schema_is_current() -> None:
    spec = importlib.util.spec_from_file_location("export_schemas", ROOT / "scripts" / "export_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    on_disk = (ROOT / "schemas" / "module.schema.json").read_text(encoding="utf-8")
    assert on_disk == script.render(), "run: python scripts/export_schemas.py"
    schema = json.loads(on_disk)
    assert {"title", "language", "chapters", "summary", "questions"} <= set(schema["required"])
