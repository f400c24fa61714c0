"""The Jinja2 environment and `render`, which every page uses to answer with HTML."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tutela.authoring.generation.schemas import clock
from tutela.web import csrf

# Scripts and styles from our own /static only: no inline script, no eval (htmx runs with allowEval off).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def sentence(text: object) -> str:
    """A service message as a plain sentence: capital first letter, final full stop."""
    value = str(text).strip()
    if not value:
        return value
    value = value[0].upper() + value[1:]
    return value if value.endswith((".", "!", "?")) else value + "."


@cache
def environment() -> Environment:
    """Templates from the package, autoescaped, failing loudly on a missing variable."""
    env = Environment(
        loader=PackageLoader("tutela.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["sentence"] = sentence
    env.filters["clock"] = clock
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a template with the request, the CSRF token and the signed-in page (if any)."""
    values: dict[str, Any] = {
        "request": request,
        "csrf_token": csrf.token_for(request),
        "page": getattr(request.state, "page", None),
        "staff": getattr(request.state, "staff_page", None),
        "errors": {},
        "values": {},
        "notice": "",
    }
    values.update(context or {})
    body = environment().get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Cache-Control", "no-store")  # the other security headers: middleware.py
    csrf.attach(request, response)
    return response
