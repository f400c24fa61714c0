"""Azure OpenAI's REST API as its reference documents it: the deployment goes in the path and the body has
no `model` (clients other than the Python SDK never send one). Raw HTTP calls shaped like the reference,
and the same through `AzureOpenAI`, against the built-in `extractive` deployment; SQLite and PostgreSQL."""

from __future__ import annotations

import json

import openai
import pytest

from tests.gateway.monitoring.support import Org, flush, new_org, rows
from tests.support.platform import Platform

API_VERSION = "2024-10-21"
CONTEXT = "The Rhine flows through Basel. Basel lies on the border of three countries."


@pytest.fixture(scope="module")
def org(platform: Platform) -> Org:
    return new_org(platform, "azure")


def _post(platform: Platform, org: Org, operation: str, body: dict[str, object]) -> dict[str, object]:
    with platform.client() as client:
        response = client.post(
            f"/openai/deployments/extractive/{operation}",
            params={"api-version": API_VERSION},
            headers={"api-key": org.key, "content-type": "application/json"},
            content=json.dumps(body),
        )
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"]
    answer: dict[str, object] = response.json()
    return answer


def test_chat_completions_and_embeddings_need_no_model_in_the_body(platform: Platform, org: Org) -> None:
    chat = _post(
        platform,
        org,
        "chat/completions",
        {
            "messages": [
                {"role": "system", "content": CONTEXT},
                {"role": "user", "content": "Where is Basel?"},
            ]
        },
    )
    assert chat["object"] == "chat.completion"
    assert "Basel" in chat["choices"][0]["message"]["content"]  # type: ignore[index]

    completion = _post(platform, org, "completions", {"prompt": CONTEXT, "max_tokens": 20})
    assert completion["object"] == "text_completion" and completion["choices"]

    embedding = _post(platform, org, "embeddings", {"input": ["Basel", CONTEXT]})
    vectors = [item["embedding"] for item in embedding["data"]]  # type: ignore[attr-defined]
    assert len(vectors) == 2 and len(vectors[0]) == len(vectors[1]) > 0

    flush(platform.runtime)
    deployments = rows(
        platform.runtime, org.id, "SELECT deployment FROM monitoring_records WHERE org_id = :org"
    )
    assert {d[0] for d in deployments} == {"extractive"}, "recorded under the path's deployment"


def test_streamed_chat_without_model(platform: Platform, org: Org) -> None:
    body = {"messages": [{"role": "user", "content": CONTEXT}], "stream": True}
    with (
        platform.client() as client,
        client.stream(
            "POST",
            "/openai/deployments/extractive/chat/completions",
            params={"api-version": API_VERSION},
            headers={"api-key": org.key},
            json=body,
        ) as response,
    ):
        assert response.status_code == 200
        events = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]" and len(events) > 1


def test_the_path_names_the_deployment_and_other_rules_still_hold(platform: Platform, org: Org) -> None:
    with platform.client() as client:
        unknown = client.post(
            "/openai/deployments/nope/chat/completions",
            params={"api-version": API_VERSION},
            headers={"api-key": org.key},
            json={"messages": [{"role": "user", "content": "hi"}]},
        )
        no_version = client.post(
            "/openai/deployments/extractive/chat/completions",
            headers={"api-key": org.key},
            json={"messages": [{"role": "user", "content": "hi"}]},
        )
        v1_without_model = client.post(
            "/openai/v1/chat/completions",
            headers={"api-key": org.key},
            json={"messages": [{"role": "user", "content": "hi"}]},
        )
    assert unknown.status_code == 404, unknown.text
    assert no_version.status_code == 400 and no_version.json()["error"]["param"] == "api-version"
    assert v1_without_model.status_code == 400, "the v1 routes keep requiring `model`"
    assert v1_without_model.json()["error"]["param"] == "model"


def test_the_azure_sdk_works_as_before(platform: Platform, org: Org) -> None:
    azure = openai.AzureOpenAI(
        azure_endpoint=platform.base_url, api_key=org.key, api_version=API_VERSION, max_retries=0
    )
    reply = azure.chat.completions.create(model="extractive", messages=[{"role": "user", "content": CONTEXT}])
    assert reply.choices[0].message.content
    vectors = azure.embeddings.create(model="extractive", input="Basel")
    assert vectors.data[0].embedding
