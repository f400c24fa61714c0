"""The connectors `data_sources` can name, each returning the passages it found, best first.

- `tutela_library`: the organization's own index in its region (gateway/library), only the documents shared
  with the calling AI resource; when the product itself calls for a signed-in user (no API key), only the
  documents that user may see (`Caller.library_documents`; none when the caller names none).
- `azure_search`: the customer's Azure AI Search index, queried at request time with the key the request
  carries (used for this call only, scrubbed from any error text); the endpoint must match the operator's
  `gateway.search_endpoints`, so no request can make the gateway call an address of its choosing.
- `postgresql`: the customer's own PostgreSQL with pgvector (postgres.py).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from tutela.gateway.exchange import Exchange
from tutela.gateway.library import service as library
from tutela.gateway.providers.retry import RetryPolicy
from tutela.gateway.providers.upstream import LazyUpstream, UpstreamClient, UpstreamRequest
from tutela.gateway.wire.data_sources import AzureSearchParameters, LibraryParameters
from tutela.gateway.wire.exceptions import (
    InvalidRequestError,
    UpstreamAuthenticationError,
    UpstreamError,
    UpstreamInvalidRequestError,
)
from tutela.runtime import Runtime

SEARCH_API_VERSION = "2024-07-01"
# Semantic reranker scores run 0–4; strictness sets the floor a document needs, as Azure's does.
MIN_RERANKER_SCORE = {1: 0.0, 2: 0.5, 3: 1.0, 4: 1.5, 5: 2.0}
_PARAM = "data_sources[0].parameters"


@dataclass(frozen=True, slots=True)
class Found:
    """A retrieved passage and where it is from, as a citation names it."""

    content: str
    title: str | None
    url: str | None
    filepath: str | None
    chunk_id: str
    page: int | None = None


def from_library(
    runtime: Runtime, exchange: Exchange, question: str, params: LibraryParameters
) -> list[Found]:
    """The library chunks for the question the caller may retrieve."""
    caller = exchange.caller
    only = None
    if not caller.key_id:  # the product itself, for a signed-in user: their L5 visibility, never more
        only = caller.library_documents or frozenset()
    with runtime.region_session(caller.org_id) as db:
        hits = library.retrieve(
            runtime,
            db,
            org_id=caller.org_id,
            resource_id=caller.resource_id,
            question=question,
            top_n=params.top_n_documents,
            strictness=params.strictness,
            query_type=params.query_type,
            only=only,
        )
    return [
        Found(
            content=h.text,
            title=h.title,
            url=f"tutela://library/{h.source_id}#page={h.page}",
            filepath=h.filename,
            chunk_id=str(h.chunk),
            page=h.page,
        )
        for h in hits
    ]


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def search_url(params: AzureSearchParameters, allowed: list[str]) -> str:
    """The index's `docs/search` URL, or a 400 when the endpoint is not one the operator allows."""
    try:
        origin = _origin(params.endpoint)
    except ValueError:
        origin = ""
    if not origin or not any(fnmatch.fnmatchcase(origin, pattern) for pattern in allowed):
        raise InvalidRequestError(
            "This gateway does not call that search endpoint (not in gateway.search_endpoints).",
            param=f"{_PARAM}.endpoint",
            code="data_source_endpoint_not_allowed",
        )
    base = params.endpoint.rstrip("/")
    return f"{base}/indexes/{quote(params.index_name)}/docs/search?api-version={SEARCH_API_VERSION}"


def search_body(params: AzureSearchParameters, question: str) -> dict[str, Any]:
    """Azure AI Search's query for the question, per `query_type`."""
    body: dict[str, Any] = {"search": question, "top": params.top_n_documents}
    kind = params.query_type
    if params.filter:
        body["filter"] = params.filter
    if "semantic" in kind:
        body["queryType"] = "semantic"
        if params.semantic_configuration:
            body["semanticConfiguration"] = params.semantic_configuration
    if kind.startswith("vector"):
        fields = params.fields_mapping.vector_fields
        if not fields:
            raise InvalidRequestError(
                f"query_type {kind!r} needs fields_mapping.vector_fields.", param=f"{_PARAM}.fields_mapping"
            )
        body["vectorQueries"] = [
            {"kind": "text", "text": question, "fields": ",".join(fields), "k": params.top_n_documents}
        ]
        if kind == "vector":
            body["search"] = "*"
    return body


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def documents(params: AzureSearchParameters, answer: Any) -> list[Found]:
    """Azure AI Search's `value` as passages, dropping those under the strictness floor (semantic)."""
    rows = answer.get("value") if isinstance(answer, dict) else None
    if not isinstance(rows, list):
        raise InvalidRequestError("The search service's answer had no 'value' list.", param=_PARAM)
    mapping = params.fields_mapping
    content_fields = mapping.content_fields or ["content"]
    floor = MIN_RERANKER_SCORE[params.strictness]
    out = []
    for i, row in enumerate(r for r in rows if isinstance(r, dict)):
        reranker = row.get("@search.rerankerScore")
        if isinstance(reranker, int | float) and reranker < floor:
            continue
        parts = [row[f] for f in content_fields if isinstance(row.get(f), str)]
        if not parts:
            continue
        out.append(
            Found(
                content=mapping.content_fields_separator.join(parts),
                title=_text(row.get(mapping.title_field or "title")),
                url=_text(row.get(mapping.url_field or "url")),
                filepath=_text(row.get(mapping.filepath_field or "filepath")),
                chunk_id=str(row.get("chunk_id", i)),
            )
        )
    return out[: params.top_n_documents]


class AzureSearch:
    """Queries customers' Azure AI Search indexes over one pooled HTTP client."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._http = LazyUpstream(max_connections=50)

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        await self._http.close()

    async def _client(self) -> UpstreamClient:
        return await self._http.get()

    async def search(self, question: str, params: AzureSearchParameters) -> list[Found]:
        """The index's best documents for the question; the search service's refusals as 400s."""
        url = search_url(params, self.runtime.settings.gateway.search_endpoints)
        request = UpstreamRequest(
            url=url,
            body=search_body(params, question),
            headers={"api-key": params.authentication.key},
            retry=RetryPolicy(max_retries=0),
            secrets=(params.authentication.key,),
        )
        http = await self._client()
        try:
            answer = await http.post_json(request)
        except UpstreamAuthenticationError:
            raise InvalidRequestError(
                "The search service refused the key in authentication.key.",
                param=f"{_PARAM}.authentication.key",
                code="data_source_authentication_failed",
            ) from None
        except UpstreamError as exc:
            if exc.code != "upstream_model_not_found":
                raise
            raise InvalidRequestError(
                f"The search service has no index {params.index_name!r}.",
                param=f"{_PARAM}.index_name",
                code="data_source_error",
            ) from None
        except UpstreamInvalidRequestError as exc:
            raise InvalidRequestError(
                f"The search service refused the query: {exc.message}", param=_PARAM, code="data_source_error"
            ) from None
        return documents(params, answer)
