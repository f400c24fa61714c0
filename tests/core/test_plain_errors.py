"""Every problem a form can meet is worded for people: each request body the API accepts is sent wrong in
every way we can think of (fields missing, of the wrong type, too long, too short, too large, unknown), and
each problem, as the web pages word it, must be free of field names and validation jargon."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

import tutela.routes  # noqa: F401 - imports every router, so every request body class is defined
from tutela.core.schemas import Body
from tutela.web.routing import field_errors

JARGON = re.compile(
    r"Input should|should have|should be|validation|Field required|Extra inputs|[`{}\[\]]|\b[a-z]+_[a-z_]+\b"
)
WRONG_VALUES: list[Any] = [
    None,
    "",
    "x" * 100_001,
    -(10**9),
    10**12,
    1.5,
    [],
    [""] * 1000,
    {"x": 1},
    "not-a-url",
]


def _bodies() -> list[type[Body]]:
    found, todo = [], list(Body.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__qualname__)


def _problems(model: type[Body]) -> list[dict[str, str]]:
    tried: list[dict[str, str]] = []
    attempts: list[Any] = [{}, {"surprise": 1}, "not an object"]
    attempts += [{name: value} for name in model.model_fields for value in WRONG_VALUES]
    for data in attempts:
        try:
            model.model_validate(data)
        except ValidationError as exc:
            tried.append(field_errors(exc))
    return tried


def test_there_are_request_bodies_to_try() -> None:
    assert len(_bodies()) > 20


@pytest.mark.parametrize("model", _bodies(), ids=lambda m: m.__qualname__)
def test_every_validation_problem_reads_as_a_sentence_for_people(model: type[Body]) -> None:
    for errors in _problems(model):
        for field, message in errors.items():
            assert message and message[0].isupper() and message.endswith((".", "?", "!")), (field, message)
            assert not JARGON.search(message), f"{model.__qualname__}.{field}: {message!r}"


def test_an_empty_list_of_terms_asks_for_one_entry() -> None:
    from tutela.gateway.safety.policies.schemas import ForbiddenTerms

    with pytest.raises(ValidationError) as caught:
        ForbiddenTerms.model_validate({"kind": "forbidden_terms", "terms": []})
    assert field_errors(caught.value) == {"terms": "Give at least 1 entry."}


@pytest.mark.parametrize(
    "question",
    [
        {"type": "fill_in_blank", "stem": "No blank here", "options": [], "answer": ["x"]},
        {"type": "short_answer", "stem": "Why?", "options": ["a"], "answer": ["x"]},
        {"type": "true_false", "stem": "Is it?", "options": ["yes", "no"], "answer": ["yes"]},
        {"type": "single_choice", "stem": "Which?", "options": ["a", "b", "c"], "answer": ["a", "b"]},
        {"type": "multiple_choice", "stem": "Which?", "options": ["a"], "answer": ["a"]},
    ],
)
def test_a_question_of_the_wrong_shape_is_explained_in_words(question: dict[str, Any]) -> None:
    from tutela.authoring.generation.schemas import Question

    body = question | {"explanation": "Because.", "citation": {"page": 1, "quote": "x"}}
    with pytest.raises(ValidationError) as caught:
        Question.model_validate(body)
    for message in field_errors(caught.value).values():
        assert not JARGON.search(message), message
