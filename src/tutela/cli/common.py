"""What every command module shares: the root group, runtime construction, error and password handling."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from tutela.config import Settings
from tutela.errors import TutelaError
from tutela.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])


def open_runtime() -> Runtime:
    """The runtime from settings; a bad configuration or service key file is one line, exit code 1."""
    from pydantic import ValidationError

    try:
        return Runtime(Settings())
    except ValidationError as exc:
        raise click.ClickException(
            f"invalid configuration: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from exc
    except TutelaError as exc:  # e.g. the service key file is missing while the databases hold data
        raise click.ClickException(exc.message) from exc


def domain_errors(fn: F) -> F:
    """Turn domain errors into one-line messages and exit code 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TutelaError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper  # type: ignore[return-value]


def password_from(value: str | None, prompt: str = "Password") -> str:
    if value:
        return value
    env = os.environ.get("TUTELA_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise click.ClickException("no password given: use --password or the TUTELA_PASSWORD variable")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at debug level.")
def main(verbose: bool) -> None:
    """Tutela: privacy-first AI authoring with its own OpenAI-compatible gateway."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
