"""`Grounding`: the pipeline's step between the screened prompt and the provider, for `data_sources`.

    question (last user turn) → retrieve from the data source (sources.py: the organization's library,
      the calling resource's documents only; the customer's Azure AI Search index; or the customer's
      PostgreSQL, read-only, through the query an admin registered: postgres.py)
    → screen each chunk (indirect-attack shield and content filter; a refused chunk is dropped and
      listed in `context.filtered_documents`, without its text) → the chunks go to the model as a
      source-passage block labelled doc1…docN, after the system message Azure's `role_information` sets
    → the answer cites [docN]; `message.context = {citations, intent}` (first delta when streaming).

With `in_scope` and nothing retrieved (or everything refused), the model is not called: the answer is
Azure's "not available in the retrieved data" sentence. Retrieved text lives on the augmented request only:
the exchange keeps the caller's own prompt, so abuse monitoring never stores a retrieved document.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from tutela.gateway.exchange import Exchange, Screen
from tutela.gateway.grounding.postgres import from_postgres
from tutela.gateway.grounding.sources import AzureSearch, Found, from_library
from tutela.gateway.safety.screen import set_extra
from tutela.gateway.wire.chat import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    Choice,
    ResponseMessage,
    new_chat_id,
)
from tutela.gateway.wire.common import now
from tutela.gateway.wire.data_sources import NOT_IN_DATA, AzureSearchSource, PostgresSource
from tutela.gateway.wire.passages import Passage, render_passages
from tutela.gateway.wire.usage import Usage
from tutela.runtime import Runtime

DEFAULT_ROLE = "You are an AI assistant that helps people find information."
RULES = "Answer only from the retrieved documents below and cite each fact with its label, like [doc1]."
IN_SCOPE_RULE = f"If the documents do not answer the question, reply exactly: {NOT_IN_DATA}"
DOC_LABEL = "doc{}"


@dataclass
class Grounded:
    """The request the provider gets, the context the response carries, and a fixed reply if any."""

    request: ChatRequest
    context: dict[str, Any]
    reply: ChatResponse | None = None
    _annotated: set[int] = field(default_factory=set)

    def annotate(self, response: ChatResponse) -> ChatResponse:
        """Put the context on every choice's message."""
        for choice in response.choices:
            set_extra(choice.message, "context", self.context)
        return response

    async def annotate_stream(self, chunks: AsyncIterator[ChatChunk]) -> AsyncIterator[ChatChunk]:
        """Put the context on each choice's first delta, as Azure does."""
        async for chunk in chunks:
            for choice in chunk.choices:
                if choice.index not in self._annotated:
                    self._annotated.add(choice.index)
                    set_extra(choice.delta, "context", self.context)
            yield chunk


def _question(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.text()
    return ""


class Grounding:
    """Retrieves for a request's `data_sources` and builds the grounded request (see the docstring)."""

    def __init__(self, runtime: Runtime, screen: Screen) -> None:
        self.runtime = runtime
        self.screen = screen
        self.azure_search = AzureSearch(runtime)

    async def close(self) -> None:
        """Close the search connector's connections."""
        await self.azure_search.close()

    async def ground(self, exchange: Exchange, request: ChatRequest) -> Grounded:
        """Retrieve, screen what was retrieved, and rewrite the request for the provider."""
        assert request.data_sources  # the pipeline calls this only with a data source
        source = request.data_sources[0]
        params = source.parameters
        question = _question(request)
        if isinstance(source, AzureSearchSource):
            found = await self.azure_search.search(question, source.parameters)
        elif isinstance(source, PostgresSource):
            found = await asyncio.to_thread(
                from_postgres, self.runtime, exchange, question, source.parameters
            )
        else:
            found = await asyncio.to_thread(from_library, self.runtime, exchange, question, source.parameters)
        verdicts = await self.screen.documents(exchange, [r.content for r in found])
        kept = [r for r, v in zip(found, verdicts, strict=True) if v is None]
        dropped = [(r, v) for r, v in zip(found, verdicts, strict=True) if v is not None]
        exchange.verdicts["data_source"] = {"retrieved": len(found), "filtered": len(dropped)}
        wanted = set(params.include_contexts or ("citations", "intent"))
        context: dict[str, Any] = {}
        if "citations" in wanted:
            context["citations"] = [_citation(r) for r in kept]
        if "intent" in wanted:
            context["intent"] = json.dumps([question], ensure_ascii=False)
        if "all_retrieved_documents" in wanted:
            context["all_retrieved_documents"] = [
                {**_citation(r, with_content=v is None), "search_queries": [question], "data_source_index": 0}
                | ({"filter_reason": "content_filter"} if v is not None else {})
                for r, v in zip(found, verdicts, strict=True)
            ]
        if dropped:
            context["filtered_documents"] = [
                {
                    **_citation(r, with_content=False),
                    "filter_reason": "content_filter",
                    "content_filter_results": v,
                }
                for r, v in dropped
            ]
        plain = _without_sources(request, kept, role=params.role_information, in_scope=params.in_scope)
        if not kept and params.in_scope:
            return Grounded(plain, context, reply=_fixed_reply(request, NOT_IN_DATA))
        return Grounded(plain, context)


def _citation(found: Found, *, with_content: bool = True) -> dict[str, Any]:
    citation: dict[str, Any] = {
        "title": found.title,
        "url": found.url,
        "filepath": found.filepath,
        "chunk_id": found.chunk_id,
    }
    if found.page is not None:
        citation["page"] = found.page
    return {"content": found.content, **citation} if with_content else citation


def _without_sources(
    request: ChatRequest, kept: list[Found], *, role: str | None, in_scope: bool
) -> ChatRequest:
    """The request as the provider sees it: instructions and the retrieved block first, no data_sources."""
    body = request.to_upstream()
    body.pop("data_sources", None)
    rules = [role or DEFAULT_ROLE, RULES]
    if in_scope:
        rules.append(IN_SCOPE_RULE)
    passages = [
        Passage(page=r.page or 1, text=r.content, section=DOC_LABEL.format(i))
        for i, r in enumerate(kept, start=1)
    ]
    if passages:
        rules.append(render_passages(passages, title="Retrieved documents"))
    body["messages"] = [{"role": "system", "content": "\n\n".join(rules)}, *body["messages"]]
    return ChatRequest.model_validate(body)


def _fixed_reply(request: ChatRequest, text: str) -> ChatResponse:
    return ChatResponse(
        id=new_chat_id(),
        created=now(),
        model=request.model,
        choices=[
            Choice(index=i, message=ResponseMessage(content=text), finish_reason="stop")
            for i in range(request.choice_count)
        ],
        usage=Usage(prompt_tokens=0, completion_tokens=0, total_tokens=0),
    )
