"""The FastAPI application: `create_app(settings)` wires routers, error handlers and background jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tutela.config import Settings
from tutela.errors import TutelaError
from tutela.gateway.wire.exceptions import GatewayError
from tutela.middleware import BodyLimits, BodyTooLarge, RequestContextMiddleware
from tutela.runtime import Runtime

# The routes that take a document upload: the only ones allowed a body past server.max_json_body_bytes.
UPLOAD_PATHS = frozenset({"/api/documents", "/author/new"})

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    410: "gone_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable_error",
}


def error_body(status: int, message: str, *, code: str, param: str | None = None) -> dict[str, Any]:
    """The one error shape of every Tutela API, REST and gateway alike (OpenAI's)."""
    return {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(status, "server_error"),
            "param": param,
            "code": code,
        }
    }


# Why FastAPI could not read a JSON body (it raises one 400 "There was an error parsing the body" for all).
_UNPARSABLE = {
    RecursionError: "the request body is not valid JSON: it is nested too deeply",
    UnicodeDecodeError: "the request body is not valid UTF-8",
    ValueError: "the request body is not valid JSON: a number in it is too long",
}


def _is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _describe_validation(request: Request, exc: RequestValidationError) -> tuple[int, str, str | None]:
    errors = exc.errors()
    first = errors[0] if errors else {}
    if tuple(first.get("loc", ())) == ("body",) and not _is_json(request) and request.method != "GET":
        return 415, "send the request body as JSON with the header 'Content-Type: application/json'", None
    if first.get("type") == "json_invalid":
        return (
            400,
            f"the request body is not valid JSON: {first.get('ctx', {}).get('error', 'parse error')}",
            None,
        )
    location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    param = ".".join(location) or None
    message = first.get("msg", "invalid request")
    if first.get("type") == "missing":
        message = "field required"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return 422, f"{param or 'body'}: {message}{more}", param


def install_error_handlers(app: FastAPI) -> None:
    """Map domain and validation errors to the one error shape (the unexpected: `middleware.py`)."""

    @app.exception_handler(TutelaError)
    async def _domain(request: Request, exc: TutelaError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.status_code, exc.message, code=exc.code, param=exc.param),
            status_code=exc.status_code,
            headers=exc.headers or None,
        )

    @app.exception_handler(GatewayError)
    async def _gateway(request: Request, exc: GatewayError) -> JSONResponse:
        request.app.state.runtime.metrics.errors.labels(str(exc.status_code), exc.code).inc()
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, message, param = _describe_validation(request, exc)
        code = {400: "invalid_json", 415: "unsupported_content_type"}.get(status, "invalid_value")
        return JSONResponse(error_body(status, message, code=code, param=param), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, BodyTooLarge):  # FastAPI wraps errors met while reading a body
            body = error_body(413, str(exc.__cause__), code="payload_too_large")
            return JSONResponse(body, status_code=413)
        code = "not_found" if exc.status_code == 404 else "http_error"
        message = "no such endpoint" if exc.status_code == 404 else str(exc.detail)
        cause = type(exc.__cause__)
        if exc.status_code == 400 and cause is not type(None):
            reason = next((text for kind, text in _UNPARSABLE.items() if issubclass(cause, kind)), None)
            code, message = ("invalid_json", reason) if reason else (code, message)
        return JSONResponse(error_body(exc.status_code, message, code=code), status_code=exc.status_code)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(error_body(413, str(exc), code="payload_too_large"), status_code=413)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the application; pass a runtime to share one with tests or the CLI."""
    runtime = runtime or Runtime(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from tutela.storage import jobs

        in_process = jobs.start_in_process(runtime)
        try:
            yield
        finally:
            await app.state.gateway.close()
            if in_process is not None:
                in_process.stop()

    app = FastAPI(title="Tutela", version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    from tutela.gateway.pipeline import Gateway

    app.state.gateway = Gateway(runtime)
    install_error_handlers(app)
    from tutela.routes import include_routers

    include_routers(app)
    settings = runtime.settings
    limits = BodyLimits(
        upload=settings.server.max_body_bytes,
        upload_paths=UPLOAD_PATHS,
        gateway=settings.gateway.max_body_bytes,
        gateway_prefixes=("/v1/", "/openai/"),
        other=settings.server.max_json_body_bytes,
    )
    app.add_middleware(
        RequestContextMiddleware,
        limits=limits,
        metrics=runtime.metrics,
        tracing=runtime.tracing,
        secure=settings.auth.secure_cookies,
    )
    return app
