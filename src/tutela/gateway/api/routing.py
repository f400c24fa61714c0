"""`LeanRoute`: the route class of the gateway's wire routes.

FastAPI's request handler solves dependencies, parses cookies and validates parameters on every call; the
gateway routes need none of that (they read the raw body and authenticate the key themselves), and on the hot
path it cost more than the gateway's own checks. A lean route calls the endpoint with the request and its
path parameters. OpenAPI still describes the route from the endpoint's signature.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response


class LeanRoute(APIRoute):
    """An APIRoute whose endpoint is `async def endpoint(request, **path_params) -> Response`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            response: Response = await endpoint(request, **request.path_params)
            return response

        return handler
