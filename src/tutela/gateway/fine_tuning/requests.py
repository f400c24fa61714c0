"""Reading a create-job request (`POST /v1/fine_tuning/jobs`) into what the gateway forwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutela.gateway.wire import json_body
from tutela.gateway.wire.exceptions import InvalidRequestError

SUFFIX_MAX = 64
_FORWARDED = ("hyperparameters", "suffix", "seed", "method")
_IGNORED = ("metadata",)


@dataclass(frozen=True)
class JobRequest:
    """The deployment to train, the caller's file ids, and the options passed on to the upstream."""

    model: str
    training_file: str
    validation_file: str | None
    options: dict[str, Any] = field(default_factory=dict)


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"'{name}' must be a non-empty string.", param=name)
    return value


def _object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object (an empty body is `{}`), refused precisely however it is malformed."""
    try:
        body = json_body.loads(raw or b"{}")
    except json_body.JsonRefused as exc:
        raise InvalidRequestError(f"The body is not valid JSON ({exc}).", code="invalid_json") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object.")
    return body


def parse_no_arguments(raw: bytes) -> None:
    """A request that takes no arguments (cancel): an empty body or `{}`, else a 400 naming the first."""
    body = _object(raw)
    if body:
        first = sorted(body)[0]
        raise InvalidRequestError(f"Unrecognized request argument supplied: {first}", param=first)


def parse_job_request(raw: bytes) -> JobRequest:
    """The request, or a 400 naming the parameter at fault."""
    body = _object(raw)
    if body.get("integrations"):
        raise InvalidRequestError(
            "Integrations are not offered: they would send the job's data to a third service.",
            param="integrations",
        )
    unknown = sorted(
        set(body) - {"model", "training_file", "validation_file", "integrations", *_FORWARDED, *_IGNORED}
    )
    if unknown:
        raise InvalidRequestError(f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0])
    model = _text(body, "model", required=True)
    training = _text(body, "training_file", required=True)
    assert model is not None
    assert training is not None
    suffix = _text(body, "suffix", required=False)
    if suffix is not None and len(suffix) > SUFFIX_MAX:
        raise InvalidRequestError(f"'suffix' is at most {SUFFIX_MAX} characters.", param="suffix")
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise InvalidRequestError("'seed' must be an integer.", param="seed")
    for name in ("hyperparameters", "method"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise InvalidRequestError(f"'{name}' must be an object.", param=name)
    return JobRequest(
        model=model,
        training_file=training,
        validation_file=_text(body, "validation_file", required=False),
        options={k: body[k] for k in _FORWARDED if body.get(k) is not None},
    )
