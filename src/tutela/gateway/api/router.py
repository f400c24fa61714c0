"""The gateway's wire-compatible routes: OpenAI (`/v1/...`) and Azure OpenAI (`/openai/deployments/{d}/...`).

Bodies are read raw and parsed by the wire layer, so every error is OpenAI-shaped with the offending `param`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tutela.errors import TooManyAttempts
from tutela.gateway.access import Caller
from tutela.gateway.api.routing import LeanRoute
from tutela.gateway.pipeline import Gateway
from tutela.gateway.wire import (
    ModelCard,
    ModelList,
    parse_chat_request,
    parse_completion_request,
    parse_embedding_request,
    parse_image_request,
    sse_stream,
)
from tutela.gateway.wire.audio import render
from tutela.gateway.wire.common import ResponseModel
from tutela.gateway.wire.exceptions import (
    AuthenticationError,
    InvalidRequestError,
    PayloadTooLargeError,
    RateLimitError,
)
from tutela.gateway.wire.multipart import parse_transcription_request
from tutela.gateway.wire.parsing import WireLimits
from tutela.gateway.wire.sse import MEDIA_TYPE

router = APIRouter(tags=["gateway"], route_class=LeanRoute)


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


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


def authenticated(request: Request, *, azure: bool = False) -> tuple[Caller, Gateway]:
    """The caller behind the presented key (cached briefly, see access.py) and the app's gateway; Azure
    routes also need an `api-version`.

    Called directly rather than as FastAPI dependencies: on the hot path, dependency resolution cost more
    than the check itself.
    """
    gateway = _gateway(request)
    guard = gateway.credentials
    address = request.client.host if request.client is not None else "unknown"
    try:
        guard.refuse_if_blocked(address)  # the one throttle check a good key pays: a dictionary lookup
        key = _presented_key(request)
        try:
            with gateway.tracing.span("gateway.access") as span:
                who = gateway.access.authenticate(key)
                span.set("tutela.org_id", who.org_id)
                span.set("tutela.resource_id", who.resource_id)
                span.set("tutela.key_id", who.key_id)
        except AuthenticationError:
            guard.failed(address)  # only failures reach the shared store
            raise
    except TooManyAttempts as exc:
        raise RateLimitError(
            f"Too many requests with a wrong API key from this address; retry after {exc.retry_after} "
            "seconds.",
            retry_after=exc.retry_after,
        ) from None
    if azure:
        _api_version(request)
    return who, gateway


def _api_version(request: Request) -> None:
    if not request.query_params.get("api-version"):
        raise InvalidRequestError("Missing required query parameter 'api-version'.", param="api-version")


async def read_body(request: Request, gateway: Gateway) -> bytes:
    """The raw body, refused past the gateway's body limit."""
    limit = gateway.runtime.settings.gateway.max_body_bytes
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"The request body is over the gateway's limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _limits(gateway: Gateway) -> WireLimits:
    settings = gateway.runtime.settings.gateway
    return WireLimits(max_n=settings.max_n, max_images=settings.max_images)


def _json(model: ResponseModel, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(model.to_wire(), headers=headers or None)


def _stream(chunks: AsyncIterator[ResponseModel], headers: dict[str, str]) -> Response:
    return StreamingResponse(
        sse_stream(chunks),
        media_type=MEDIA_TYPE,
        headers={"cache-control": "no-cache", "x-accel-buffering": "no", **headers},
    )


@router.get("/v1/models")
async def list_models(request: Request) -> Response:
    """The deployments this key may call, with each provider's capabilities and limits."""
    who, gateway = authenticated(request)
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


async def _chat(request: Request, deployment: str | None) -> Response:
    who, gateway = authenticated(request, azure=deployment is not None)
    body = parse_chat_request(await read_body(request, gateway), limits=_limits(gateway), model=deployment)
    rid, headers = _request_id(request), dict[str, str]()  # headers: filled by the pipeline (rate limits)
    if body.stream:
        chunks = await gateway.chat_stream(who, body, deployment=deployment, request_id=rid, headers=headers)
        return _stream(chunks, headers)
    return _json(
        await gateway.chat(who, body, deployment=deployment, request_id=rid, headers=headers), headers
    )


async def _complete(request: Request, deployment: str | None) -> Response:
    who, gateway = authenticated(request, azure=deployment is not None)
    body = parse_completion_request(
        await read_body(request, gateway), limits=_limits(gateway), model=deployment
    )
    rid, headers = _request_id(request), dict[str, str]()
    if body.stream:
        chunks = await gateway.complete_stream(
            who, body, deployment=deployment, request_id=rid, headers=headers
        )
        return _stream(chunks, headers)
    response = await gateway.complete(who, body, deployment=deployment, request_id=rid, headers=headers)
    return _json(response, headers)


async def _embed(request: Request, deployment: str | None) -> Response:
    who, gateway = authenticated(request, azure=deployment is not None)
    body = parse_embedding_request(
        await read_body(request, gateway), limits=_limits(gateway), model=deployment
    )
    headers: dict[str, str] = {}
    response = await gateway.embed(
        who, body, deployment=deployment, request_id=_request_id(request), headers=headers
    )
    return _json(response, headers)


async def _images(request: Request, deployment: str | None) -> Response:
    who, gateway = authenticated(request, azure=deployment is not None)
    body = parse_image_request(await read_body(request, gateway), limits=_limits(gateway), model=deployment)
    headers: dict[str, str] = {}
    response = await gateway.generate_images(
        who,
        body,
        deployment=deployment,
        request_id=_request_id(request),
        link_base=str(request.base_url),
        headers=headers,
    )
    return _json(response, headers)


async def _transcribe(request: Request, deployment: str | None) -> Response:
    who, gateway = authenticated(request, azure=deployment is not None)
    body = parse_transcription_request(
        await read_body(request, gateway),
        content_type=request.headers.get("content-type", ""),
        model=deployment,
    )
    headers: dict[str, str] = {}
    result = await gateway.transcribe(
        who, body, deployment=deployment, request_id=_request_id(request), headers=headers
    )
    text, media_type = render(result, body.response_format, body.timestamp_granularities)
    return Response(text, media_type=media_type, headers=headers or None)


@router.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    """OpenAI chat completions; `model` names a deployment."""
    return await _chat(request, None)


@router.post("/v1/completions")
async def completions(request: Request) -> Response:
    """OpenAI legacy completions."""
    return await _complete(request, None)


@router.post("/v1/embeddings")
async def embeddings(request: Request) -> Response:
    """OpenAI embeddings (float or base64)."""
    return await _embed(request, None)


@router.post("/v1/images/generations")
async def image_generations(request: Request) -> Response:
    """OpenAI image generation; `url` answers link to Tutela's sealed copies, fetched with the same key."""
    return await _images(request, None)


@router.get("/v1/images/generated/{image_id}")
async def generated_image(request: Request, image_id: str) -> Response:
    """A generated image behind a link, for a key of the AI resource that generated it (until it expires)."""
    who, gateway = authenticated(request)
    data, media_type = await asyncio.to_thread(gateway.open_image, who, image_id)
    return Response(data, media_type=media_type, headers={"cache-control": "private, no-store"})


@router.post("/openai/deployments/{deployment}/chat/completions")
async def azure_chat_completions(request: Request, deployment: str) -> Response:
    """Azure OpenAI chat completions; the deployment in the path is enough (`model` may be left out)."""
    return await _chat(request, deployment)


@router.post("/openai/deployments/{deployment}/completions")
async def azure_completions(request: Request, deployment: str) -> Response:
    """Azure OpenAI legacy completions."""
    return await _complete(request, deployment)


@router.post("/openai/deployments/{deployment}/embeddings")
async def azure_embeddings(request: Request, deployment: str) -> Response:
    """Azure OpenAI embeddings."""
    return await _embed(request, deployment)


@router.post("/openai/deployments/{deployment}/images/generations")
async def azure_image_generations(request: Request, deployment: str) -> Response:
    """Azure OpenAI image generation (DALL-E, gpt-image-1 deployments)."""
    return await _images(request, deployment)


@router.post("/v1/audio/transcriptions")
async def audio_transcriptions(request: Request) -> Response:
    """OpenAI speech to text: a multipart form with the audio `file`; the audio is never stored."""
    return await _transcribe(request, None)


@router.post("/openai/deployments/{deployment}/audio/transcriptions")
async def azure_audio_transcriptions(request: Request, deployment: str) -> Response:
    """Azure OpenAI speech to text."""
    return await _transcribe(request, deployment)


# Azure OpenAI's v1 API (`OpenAI(base_url="{endpoint}/openai/v1/")`, `model` names the deployment, no
# api-version needed) is the OpenAI API under another prefix: the same endpoints serve it.
for _method, _path, _endpoint in (
    ("GET", "/models", list_models),
    ("POST", "/chat/completions", chat_completions),
    ("POST", "/completions", completions),
    ("POST", "/embeddings", embeddings),
    ("POST", "/images/generations", image_generations),
    ("POST", "/audio/transcriptions", audio_transcriptions),
):
    router.add_api_route(
        f"/openai/v1{_path}", _endpoint, methods=[_method], name=f"azure_v1_{_endpoint.__name__}"
    )
