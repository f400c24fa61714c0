"""`data_sources: [{"type": "azure_search", ...}]` through `AzureOpenAI`, forwarded to a loopback server that
speaks Azure AI Search's REST API (tests/gateway/fake_search.py), including its refusals and outages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.gateway.fake_search import INDEX, KEY, FakeSearch, running_search
from tests.gateway.monitoring.support import Org, new_org
from tests.support.platform import Platform, running_platform
from tutela.gateway.wire.data_sources import NOT_IN_DATA

API_VERSION = "2024-10-21"


@pytest.fixture(scope="module")
def search() -> Iterator[FakeSearch]:
    with running_search() as fake:
        yield fake


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    gateway = {"search_endpoints": ["http://127.0.0.1:*"]}  # the operator allows the loopback fake
    with running_platform("sqlite", tmp_path_factory.mktemp("search"), gateway=gateway) as running:
        yield running


@pytest.fixture(scope="module")
def org(platform: Platform) -> Org:
    return new_org(platform, "search")


def _ask(platform: Platform, org: Org, question: str, **parameters: Any) -> Any:
    client = openai.AzureOpenAI(
        azure_endpoint=platform.base_url, api_key=org.key, api_version=API_VERSION, max_retries=0
    )
    return client.chat.completions.create(
        model="extractive",
        messages=[{"role": "user", "content": question}],
        extra_body={"data_sources": [{"type": "azure_search", "parameters": parameters}]},
    )


def _params(search: FakeSearch, **more: Any) -> dict[str, Any]:
    return {
        "endpoint": search.url,
        "index_name": INDEX,
        "authentication": {"type": "api_key", "key": KEY},
        **more,
    }


def test_the_answer_cites_the_search_index(platform: Platform, org: Org, search: FakeSearch) -> None:
    reply = _ask(platform, org, "How many days of paid leave do employees get?", **_params(search))
    message = reply.choices[0].message.model_dump()
    citations = message["context"]["citations"]
    assert citations[0]["title"] == "Leave policy" and citations[0]["url"].endswith("/leave")
    assert citations[0]["chunk_id"] == "a1" and citations[0]["filepath"] == "leave.md"
    assert "twenty-eight days of paid leave per year. [doc1]" in message["content"]
    # The injected document was retrieved, refused by the shield and listed without its text.
    assert [d["filepath"] for d in message["context"]["filtered_documents"]] == ["notes.md"]
    sent = search.requests[-1]
    assert sent["index"] == INDEX and sent["query"]["api-version"]
    assert sent["body"]["search"] == "How many days of paid leave do employees get?"
    assert sent["body"]["top"] == 5


def test_semantic_strictness_and_in_scope(platform: Platform, org: Org, search: FakeSearch) -> None:
    semantic = _params(search, query_type="semantic", semantic_configuration="default", strictness=5)
    reply = _ask(platform, org, "When does the parking garage open?", **semantic)
    assert search.requests[-1]["body"]["queryType"] == "semantic"
    assert reply.choices[0].message.content == NOT_IN_DATA  # reranker scores under strictness 5's floor
    lenient = _ask(platform, org, "When does the parking garage open?", **{**semantic, "strictness": 1})
    assert "[doc1]" in (lenient.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("change", "status", "param"),
    [
        ({"authentication": {"type": "api_key", "key": "wrong"}}, 400, "authentication.key"),
        ({"index_name": "missing"}, 400, "index_name"),
        ({"endpoint": "http://10.0.0.7:8080"}, 400, "endpoint"),
        ({"authentication": {"type": "system_assigned_managed_identity"}}, 400, "authentication"),
        ({"query_type": "vector"}, 400, "fields_mapping"),
    ],
)
def test_refusals_are_400s_naming_the_parameter(
    platform: Platform, org: Org, search: FakeSearch, change: dict[str, Any], status: int, param: str
) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        _ask(platform, org, "paid leave?", **{**_params(search), **change})
    body: Any = caught.value.body
    assert caught.value.status_code == status and body["param"].startswith(
        f"data_sources[0].parameters.{param}"
    )
    assert "wrong" not in str(body)


def test_an_outage_of_the_search_service_is_a_5xx_not_an_ungrounded_answer(
    platform: Platform, org: Org, search: FakeSearch
) -> None:
    search.fail_next(503)
    with pytest.raises(openai.APIStatusError) as caught:
        _ask(platform, org, "paid leave?", **_params(search))
    assert caught.value.status_code >= 500
    assert KEY not in str(caught.value.body)
