"""The built-in `extractive` deployment through the official `openai` client, as a customer script uses it."""

from __future__ import annotations

import base64
import json
import uuid

import numpy as np
import openai
import pytest

from tests.support.platform import Platform
from tutela.authoring.generation.schemas import QuestionSet
from tutela.gateway.resources import service as resources
from tutela.gateway.wire.passages import Passage, render_passages

CONTEXT = (
    "The Rhine rises in the Swiss Alps and flows into the North Sea. "
    "Basel is the Swiss city where the Rhine becomes navigable for large ships. "
    "The river is about 1,230 kilometres long. "
    "Cologne Cathedral stands close to the Rhine in Germany."
)


@pytest.fixture(scope="module")
def client(platform: Platform) -> openai.OpenAI:
    org_id = platform.new_org(f"Builtin {uuid.uuid4().hex[:6]}")
    with platform.runtime.region_session(org_id) as db:
        resource = resources.find_resource(db, org_id=org_id, name="default")
        assert resource is not None
        _, key = resources.create_key(db, org_id=org_id, resource_id=resource.id)
    return openai.OpenAI(base_url=f"{platform.base_url}/v1", api_key=key, max_retries=0, timeout=120)


def test_models_states_the_builtin_limits(client: openai.OpenAI) -> None:
    card = next(m for m in client.models.list() if m.id == "extractive")
    tutela = (card.model_extra or {})["tutela"]
    assert tutela["provider"] == "extractive"
    assert tutela["deterministic"] is True
    assert any("copied from the input" in limit for limit in tutela["limitations"])
    assert tutela["embedding_dimensions"] == 384


def test_chat_answers_from_the_given_context_only(client: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": CONTEXT},
        {"role": "user", "content": "Where does the Rhine become navigable?"},
    ]
    answer = client.chat.completions.create(model="extractive", messages=messages)  # type: ignore[arg-type]
    text = answer.choices[0].message.content or ""
    assert "Basel is the Swiss city where the Rhine becomes navigable" in text
    assert "Cologne" not in text  # an unrelated sentence of the context is left out
    assert all(sentence.strip() in CONTEXT for sentence in text.split(". ") if sentence.strip())
    again = client.chat.completions.create(model="extractive", messages=messages)  # type: ignore[arg-type]
    assert again.choices[0].message.content == text  # deterministic
    streamed = client.chat.completions.create(model="extractive", messages=messages, stream=True)  # type: ignore[arg-type]
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == text


def test_structured_question_set_is_grounded(client: openai.OpenAI) -> None:
    passages = render_passages([Passage(page=1, text=CONTEXT * 2, section="Rivers")])
    schema = QuestionSet.model_json_schema()
    reply = client.chat.completions.create(
        model="extractive",
        messages=[{"role": "system", "content": "Write 3 questions."}, {"role": "user", "content": passages}],
        response_format={"type": "json_schema", "json_schema": {"name": "question_set", "schema": schema}},
    )
    questions = QuestionSet.model_validate(json.loads(reply.choices[0].message.content or "{}")).questions
    assert questions
    assert all(q.citation.quote in CONTEXT * 2 for q in questions)


def test_embeddings_are_normalized_384_floats_and_base64(client: openai.OpenAI) -> None:
    floats = client.embeddings.create(model="extractive", input=["river", "Rhine"], encoding_format="float")
    vectors = np.array([d.embedding for d in floats.data])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    encoded = client.embeddings.with_raw_response.create(
        model="extractive", input="river", encoding_format="base64"
    ).parse()
    raw = encoded.data[0].embedding
    decoded = (
        np.frombuffer(base64.b64decode(raw), dtype=np.float32) if isinstance(raw, str) else np.array(raw)
    )
    assert np.allclose(decoded, vectors[0], atol=1e-6)
    assert floats.usage.prompt_tokens > 0
