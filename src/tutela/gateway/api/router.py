"""The gateway's wire-compatible routes: OpenAI (`/v1/...`) and Azure OpenAI (`/openai/deployments/{d}/...`).

Bodies are read raw and parsed by the wire layer, so every error is OpenAI-shaped with the offending `param`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tutela.gateway.access import Caller
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire import (
    ModelCard,
    ModelList,
    parse_chat_request,
    parse_completion_request,
    parse_embedding_request,
    sse_stream,
)
from tutela.gateway.wire.common import ResponseModel
from tutela.gateway.wire.exceptions import AuthenticationError, InvalidRequestError, PayloadTooLargeError
from tutela.gateway.wire.parsing import WireLimits
from tutela.gateway.wire.sse import MEDIA_TYPE

router = APIRouter(tags=["gateway"])


def get_gateway(request: Request) -> Gateway:
    """The app's gateway."""
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def _presented_key(request: Request) -> str:
    azure_key = request.headers.get("api-key")
    if azure_key:
        return azure_key.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.url.path.startswith("/openai/"):
        raise AuthenticationError("Access denied due to a missing 'api-key' header.", code="invalid_api_key")
    raise AuthenticationError(
        "You didn't provide an API key: send 'Authorization: Bearer <key>'.", code="invalid_api_key"
    )


async def caller(request: Request, gateway: GatewayDep) -> Caller:
    """The authenticated key (cached briefly, see access.py)."""
    return gateway.access.authenticate(_presented_key(request))


CallerDep = Annotated[Caller, Depends(caller)]


def _api_version(request: Request) -> None:
    if not request.query_params.get("api-version"):
        raise InvalidRequestError("Missing required query parameter 'api-version'.", param="api-version")


async def _body(request: Request, gateway: Gateway) -> bytes:
    limit = gateway.runtime.settings.gateway.max_body_bytes
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"The request body is over the gateway's limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _limits(gateway: Gateway) -> WireLimits:
    return WireLimits(max_n=gateway.runtime.settings.gateway.max_n)


def _json(model: ResponseModel) -> Response:
    return JSONResponse(model.to_wire())


def _stream(chunks: AsyncIterator[ResponseModel]) -> Response:
    return StreamingResponse(
        sse_stream(chunks),
        media_type=MEDIA_TYPE,
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@router.get("/v1/models")
async def list_models(who: CallerDep, gateway: GatewayDep) -> Response:
    """The deployments this key may call, with each provider's capabilities and limits."""
    import asyncio

    rows = await asyncio.to_thread(gateway.list_deployments, who)
    cards = [
        ModelCard(
            id=d.name,
            created=int(d.created_at.timestamp()),
            owned_by=who.org_id,
            tutela=gateway.describe(d.provider)
            | {"model": d.model, "region": who.region, "content_logging": who.content_logging},
        )
        for d in rows
    ]
    return _json(ModelList(data=cards))


def _request_id(request: Request) -> str | None:
    """The id the middleware put on the response, so monitoring records match what the client saw."""
    rid: str | None = request.scope.get("state", {}).get("request_id")
    return rid


async def _chat(request: Request, who: Caller, gateway: Gateway, deployment: str | None) -> Response:
    body = parse_chat_request(await _body(request, gateway), limits=_limits(gateway))
    rid = _request_id(request)
    if body.stream:
        return _stream(await gateway.chat_stream(who, body, deployment=deployment, request_id=rid))
    return _json(await gateway.chat(who, body, deployment=deployment, request_id=rid))


async def _complete(request: Request, who: Caller, gateway: Gateway, deployment: str | None) -> Response:
    body = parse_completion_request(await _body(request, gateway), limits=_limits(gateway))
    rid = _request_id(request)
    if body.stream:
        return _stream(await gateway.complete_stream(who, body, deployment=deployment, request_id=rid))
    return _json(await gateway.complete(who, body, deployment=deployment, request_id=rid))


async def _embed(request: Request, who: Caller, gateway: Gateway, deployment: str | None) -> Response:
    body = parse_embedding_request(await _body(request, gateway), limits=_limits(gateway))
    return _json(await gateway.embed(who, body, deployment=deployment, request_id=_request_id(request)))


@router.post("/v1/chat/completions")
async def chat_completions(request: Request, who: CallerDep, gateway: GatewayDep) -> Response:
    """OpenAI chat completions; `model` names a deployment."""
    return await _chat(request, who, gateway, None)


@router.post("/v1/completions")
async def completions(request: Request, who: CallerDep, gateway: GatewayDep) -> Response:
    """OpenAI legacy completions."""
    return await _complete(request, who, gateway, None)


@router.post("/v1/embeddings")
async def embeddings(request: Request, who: CallerDep, gateway: GatewayDep) -> Response:
    """OpenAI embeddings (float or base64)."""
    return await _embed(request, who, gateway, None)


@router.post("/openai/deployments/{deployment}/chat/completions")
async def azure_chat_completions(
    deployment: str, request: Request, who: CallerDep, gateway: GatewayDep
) -> Response:
    """Azure OpenAI chat completions."""
    _api_version(request)
    return await _chat(request, who, gateway, deployment)


@router.post("/openai/deployments/{deployment}/completions")
async def azure_completions(
    deployment: str, request: Request, who: CallerDep, gateway: GatewayDep
) -> Response:
    """Azure OpenAI legacy completions."""
    _api_version(request)
    return await _complete(request, who, gateway, deployment)


@router.post("/openai/deployments/{deployment}/embeddings")
async def azure_embeddings(
    deployment: str, request: Request, who: CallerDep, gateway: GatewayDep
) -> Response:
    """Azure OpenAI embeddings."""
    _api_version(request)
    return await _embed(request, who, gateway, deployment)
