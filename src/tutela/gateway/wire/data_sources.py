"""Azure OpenAI "on your data": the `data_sources` of a chat completion request.

    "data_sources": [{"type": "tutela_library", "parameters": {"top_n_documents": 5, "strictness": 3,
                      "in_scope": true, "role_information": "You answer HR questions."}}]

Azure accepts exactly one data source per request. Parameters are strict (`extra="forbid"`): a misspelt
or unsupported parameter is a 400 naming it, never ignored, because a caller who believes retrieval ran
must not get an ungrounded answer. Types Azure knows but this gateway does not connect to are refused
with a 400 that says so (see `UNSUPPORTED_TYPES`); any other type is a 400 too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from tutela.gateway.wire.common import discriminate
from tutela.gateway.wire.exceptions import InvalidRequestError

# Azure's connector types Tutela does not (yet) connect to: named so the 400 says "not available here".
UNSUPPORTED_TYPES = frozenset({"azure_cosmos_db", "elasticsearch", "pinecone", "mongo_db"})
SUPPORTED_TYPES = frozenset({"tutela_library", "azure_search", "postgresql"})
NOT_IN_DATA = (
    "The requested information is not available in the retrieved data. Please try another query or topic."
)


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class LibraryParameters(_Strict):
    """Retrieval from the organization's library: the documents shared with the calling AI resource (for the
    product calling on behalf of a signed-in user, the library documents that user may see)."""

    top_n_documents: Annotated[int, Field(ge=1, le=20)] = 5
    # 1 (lenient) … 5 (strict): how similar a chunk must be to the question to be used.
    strictness: Annotated[int, Field(ge=1, le=5)] = 3
    # True: answer only from retrieved documents, or say the information is not available.
    in_scope: bool = True
    role_information: Annotated[str, Field(max_length=2000)] | None = None
    query_type: Literal["simple", "vector", "vector_simple_hybrid"] = "vector_simple_hybrid"
    include_contexts: list[Literal["citations", "intent", "all_retrieved_documents"]] | None = None


class LibrarySource(_Strict):
    """`{"type": "tutela_library", "parameters": {...}}`."""

    type: Literal["tutela_library"]
    parameters: LibraryParameters = Field(default_factory=LibraryParameters)


class ApiKeyAuthentication(_Strict):
    """The search service's query key, used for this request only and never stored."""

    type: Literal["api_key"]
    key: Annotated[str, Field(min_length=1, max_length=512)]


class FieldsMapping(_Strict):
    """Which index fields hold the content, title, URL, file path and vectors."""

    content_fields: list[str] | None = None
    content_fields_separator: str = "\n"
    title_field: str | None = None
    url_field: str | None = None
    filepath_field: str | None = None
    vector_fields: list[str] | None = None


class AzureSearchParameters(_Strict):
    """Retrieval from the customer's own Azure AI Search index (the REST API's `docs/search`)."""

    endpoint: Annotated[str, Field(min_length=1, max_length=2048)]
    index_name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,127}$")]
    authentication: ApiKeyAuthentication
    top_n_documents: Annotated[int, Field(ge=1, le=20)] = 5
    strictness: Annotated[int, Field(ge=1, le=5)] = 3
    in_scope: bool = True
    role_information: Annotated[str, Field(max_length=2000)] | None = None
    query_type: Literal["simple", "semantic", "vector", "vector_simple_hybrid", "vector_semantic_hybrid"] = (
        "simple"
    )
    semantic_configuration: str | None = None
    filter: Annotated[str, Field(max_length=4096)] | None = None
    fields_mapping: FieldsMapping = Field(default_factory=FieldsMapping)
    include_contexts: list[Literal["citations", "intent", "all_retrieved_documents"]] | None = None


class AzureSearchSource(_Strict):
    """`{"type": "azure_search", "parameters": {...}}`."""

    type: Literal["azure_search"]
    parameters: AzureSearchParameters


class PostgresParameters(_Strict):
    """Retrieval from the customer's own PostgreSQL (Tutela's extension; Azure has no such type): `source`
    names a database an admin registered on the AI resource, with its connection string and query."""

    source: Annotated[str, Field(min_length=1, max_length=64)]
    top_n_documents: Annotated[int, Field(ge=1, le=20)] = 5
    strictness: Annotated[int, Field(ge=1, le=5)] = 3
    in_scope: bool = True
    role_information: Annotated[str, Field(max_length=2000)] | None = None
    include_contexts: list[Literal["citations", "intent", "all_retrieved_documents"]] | None = None


class PostgresSource(_Strict):
    """`{"type": "postgresql", "parameters": {"source": "...", ...}}`."""

    type: Literal["postgresql"]
    parameters: PostgresParameters


DataSource = Annotated[
    Annotated[LibrarySource, Tag("type=tutela_library")]
    | Annotated[AzureSearchSource, Tag("type=azure_search")]
    | Annotated[PostgresSource, Tag("type=postgresql")],
    Discriminator(discriminate("type")),
]


def check_shape(raw: object) -> None:
    """Refuse, before validation, what the schema's errors would word poorly: a missing or unknown type,
    a connector this gateway does not offer, more than one source."""
    if raw is None:
        return
    if not isinstance(raw, list) or not raw:
        raise InvalidRequestError(
            "'data_sources' must be a list of one data source object.", param="data_sources"
        )
    if len(raw) > 1:
        raise InvalidRequestError(
            f"'data_sources' accepts exactly one data source; got {len(raw)}.", param="data_sources"
        )
    source = raw[0]
    kind = source.get("type") if isinstance(source, dict) else None
    if not isinstance(kind, str):
        raise InvalidRequestError(
            "Each data source needs a string 'type' (e.g. 'tutela_library').", param="data_sources[0].type"
        )
    if kind in UNSUPPORTED_TYPES:
        raise InvalidRequestError(
            f"The data source type {kind!r} is not available on this gateway; use 'tutela_library'.",
            param="data_sources[0].type",
            code="unsupported_data_source",
        )
    if kind not in SUPPORTED_TYPES:
        raise InvalidRequestError(
            f"Unknown data source type {kind!r}; supported: {', '.join(sorted(SUPPORTED_TYPES))}.",
            param="data_sources[0].type",
            code="unsupported_data_source",
        )
