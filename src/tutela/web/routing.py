"""What every page route shares: HTML error pages instead of JSON, form parsing with the CSRF check, and
turning validation problems and service errors into plain sentences next to their fields."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Annotated, Any, NamedTuple
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.datastructures import FormData

from tutela.core.auth.dependencies import SESSION_COOKIE
from tutela.errors import AuthenticationFailed, NotFound, PermissionDenied, TutelaError
from tutela.web import csrf
from tutela.web.session import session_kind
from tutela.web.templating import render, sentence

log = logging.getLogger("tutela.web")

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def sign_in_url(request: Request) -> str:
    """Where an unauthenticated visitor of this page signs in, coming back here afterwards."""
    path = request.url.path
    login = "/platform/login" if path.startswith("/platform") else "/login"
    if request.method == "GET" and path not in ("/", "/platform"):
        return f"{login}?next={quote(path, safe='/')}"
    return login


_MISSING_THING = re.compile(r"\s*([A-Za-z][A-Za-z _-]{0,40}?)\s+['\"]")


def missing(message: str) -> str:
    """A not-found message for people: what was not found, if the service said, and never its id."""
    found = _MISSING_THING.match(message)
    thing = f"This {found.group(1).lower()}" if found else "This page"
    return (
        f"{thing} could not be found. It may have been deleted or moved, or the link may be incomplete: "
        "go back to where you came from, or start again from the start page."
    )


def error_page(request: Request, exc: TutelaError) -> Response:
    """The page for an error no form could show next to a field."""
    if isinstance(exc, AuthenticationFailed):
        response = RedirectResponse(sign_in_url(request), status_code=303)
        expected = "staff" if request.url.path.startswith("/platform") else "user"
        if session_kind(request) in (expected, None) and request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE)  # expired, revoked or malformed: forget it
        return response
    message, detail = sentence(exc.message), ""
    if isinstance(exc, csrf.CsrfRejected):
        title = "Not sent"
    elif isinstance(exc, PermissionDenied):
        title = "Not allowed"
        message, detail = "Your roles do not give you access to this page.", message
    elif isinstance(exc, NotFound):
        title, message = "Not found", missing(exc.message)
    else:
        title = "Something went wrong"
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "detail": detail, "status": exc.status_code},
        status_code=exc.status_code,
    )


class PageRoute(APIRoute):
    """A route answering errors with an HTML page (or a redirect to sign in), never JSON or a stack trace."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except TutelaError as exc:
                return error_page(request, exc)
            except RequestValidationError:
                return render(
                    request,
                    "error.html",
                    {
                        "title": "Not found",
                        "message": "This address does not exist.",
                        "detail": "",
                        "status": 404,
                    },
                    status_code=404,
                )
            except Exception as exc:  # a page must never show a stack trace: log it, answer plainly
                request_id = request.scope.get("state", {}).get("request_id", "")
                log.error("%s unhandled %s", request_id, type(exc).__name__, exc_info=exc)
                return render(
                    request,
                    "error.html",
                    {
                        "title": "Something went wrong",
                        "message": f"Tutela could not finish this. Quote request id {request_id} "
                        "to your operator.",
                        "detail": "",
                        "status": 500,
                    },
                    status_code=500,
                )

        return page_handler


def page_router() -> APIRouter:
    """A router for pages: HTML errors, and kept out of the API description."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


async def checked_form(request: Request) -> FormData:
    """The posted form, after the CSRF check."""
    form = await request.form()
    token = form.get(csrf.FIELD)
    csrf.check(request, token if isinstance(token, str) else None)
    return form


Form = Annotated[FormData, Depends(checked_form)]


def text(form: FormData, name: str) -> str:
    """A text field of the form ('' when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _plural(count: object, one: str, many: str) -> str:
    number = f"{count:,}" if isinstance(count, int) else str(count)
    return f"{number} {one if count == 1 else many}"


# Pydantic's problem types in words for people; its own messages ("List should have at least 1 item after
# validation, not 0.") never reach a page. Each takes the problem's context (limits such as min_length).
PLAIN_PROBLEMS: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: "this field is required",
    "string_too_short": lambda ctx: (
        "this field is required"
        if ctx.get("min_length") == 1
        else f"write at least {_plural(ctx.get('min_length'), 'character', 'characters')}"
    ),
    "string_too_long": lambda ctx: f"keep it to {_plural(ctx.get('max_length'), 'character', 'characters')}",
    "too_short": lambda ctx: f"give at least {_plural(ctx.get('min_length'), 'entry', 'entries')}",
    "too_long": lambda ctx: f"give at most {_plural(ctx.get('max_length'), 'entry', 'entries')}",
    "int_parsing": lambda ctx: "enter a whole number",
    "int_type": lambda ctx: "enter a whole number",
    "int_from_float": lambda ctx: "enter a whole number",
    "float_parsing": lambda ctx: "enter a number",
    "float_type": lambda ctx: "enter a number",
    "greater_than_equal": lambda ctx: f"enter {ctx.get('ge')} or more",
    "greater_than": lambda ctx: f"enter more than {ctx.get('gt')}",
    "less_than_equal": lambda ctx: f"enter {ctx.get('le')} or less",
    "less_than": lambda ctx: f"enter less than {ctx.get('lt')}",
    "literal_error": lambda ctx: "choose one of the options offered",
    "enum": lambda ctx: "choose one of the options offered",
    "bool_parsing": lambda ctx: "choose yes or no",
    "bool_type": lambda ctx: "choose yes or no",
    "string_pattern_mismatch": lambda ctx: "this is not in the expected form",
    "extra_forbidden": lambda ctx: "reload the page and try again: the form sent a field it should not",
    "url_parsing": lambda ctx: "enter a full web address, like https://example.com",
    "url_scheme": lambda ctx: "enter a web address starting with https://",
}


def plain_problem(problem: Mapping[str, Any]) -> str:
    """One Pydantic problem as a sentence for people (our own validators' messages are kept as written)."""
    kind = str(problem.get("type", ""))
    if kind == "value_error":
        return sentence(str(problem.get("msg", "")).removeprefix("Value error, "))
    words = PLAIN_PROBLEMS.get(kind)
    return sentence(words(dict(problem.get("ctx") or {})) if words else "this value is not valid")


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's problems as one plain sentence per field."""
    errors: dict[str, str] = {}
    for problem in exc.errors():
        field = ".".join(str(p) for p in problem.get("loc", ())) or "form"
        if problem.get("type") == "value_error" and field == "email":
            message = "Enter a valid email address, like name@example.com."
        else:
            message = plain_problem(problem)
        errors.setdefault(field, message)
    return errors


def service_error(exc: TutelaError, *, fields: set[str]) -> dict[str, str]:
    """A service's error next to its field when the form has it, else for the whole form."""
    field = exc.param if exc.param is not None and exc.param in fields else "form"
    return {field: sentence(exc.message)}


class Refusal(NamedTuple):
    """Why a posted form was refused: a sentence per field ('form' for the whole form) and the status of
    the page that shows the form again with the submitted values."""

    errors: dict[str, str]
    status_code: int

    @property
    def message(self) -> str:
        """The first problem alone, for a form that shows one sentence rather than one per field."""
        return next(iter(self.errors.values()), "This value is not valid.")


def refusal(
    exc: ValidationError | TutelaError,
    *,
    fields: Iterable[str] = (),
    invalid: Callable[[ValidationError], dict[str, str]] = field_errors,
    reworded: Mapping[str, str] | None = None,
) -> Refusal:
    """A failed post as the errors to show next to the form's fields, and the status to answer with.

    Pydantic's problems, as `invalid` words them (then each field of `reworded` with its own sentence), answer
    422; a service's error goes next to its field when that is one of `fields`, else above the whole form,
    and answers with its own status. Errors a form cannot show (not found, not allowed) are the caller's to
    let through to the error page before calling this."""
    if isinstance(exc, ValidationError):
        errors = invalid(exc)
        for field, message in (reworded or {}).items():
            if field in errors:
                errors[field] = message
        return Refusal(errors, 422)
    return Refusal(service_error(exc, fields=set(fields)), exc.status_code)
