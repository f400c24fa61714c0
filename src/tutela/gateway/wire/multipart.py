"""Parsing a `multipart/form-data` transcription request in memory, with OpenAI-shaped 400s.

Starlette's form parser spools files over 1 MB to a temporary file on disk; the gateway promises that
audio is never stored, so the parts are collected here, in memory, from a body already bounded by the
gateway's body limit.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from tutela.gateway.wire.audio import TranscriptionRequest
from tutela.gateway.wire.errors import invalid_request_from_validation
from tutela.gateway.wire.exceptions import InvalidRequestError, UnsupportedOperationError

_MAX_FIELDS = 32
_MAX_FIELD_BYTES = 64 * 1024
_FLOATS = ("temperature",)


class _Part:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.data = bytearray()


class _Collector:
    """The callbacks of python-multipart's push parser, gathering parts in memory."""

    def __init__(self) -> None:
        self.parts: list[_Part] = []
        self._field = b""
        self._value = b""

    def on_part_begin(self) -> None:
        if len(self.parts) >= _MAX_FIELDS:
            raise InvalidRequestError(f"The form has more than {_MAX_FIELDS} fields.")
        self.parts.append(_Part())

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.parts[-1].data += data[start:end]

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self.parts[-1].headers[self._field.decode("latin-1").lower()] = self._value.decode("latin-1")
        self._field = self._value = b""


def _split(body: bytes, content_type: str) -> list[_Part]:
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidRequestError(
            "Send the audio as 'multipart/form-data' with a 'file' part (as the OpenAI clients do).",
            code="invalid_content_type",
        )
    collector = _Collector()
    callbacks: Any = {
        name: getattr(collector, name)
        for name in ("on_part_begin", "on_part_data", "on_header_field", "on_header_value", "on_header_end")
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidRequestError("The multipart form is malformed.", code="invalid_multipart") from exc
    return collector.parts


def _disposition(part: _Part) -> tuple[str, str | None]:
    _, params = parse_options_header(part.headers.get("content-disposition", ""))
    name = params.get(b"name", b"").decode("utf-8", errors="replace")
    filename = params.get(b"filename")
    return name, filename.decode("utf-8", errors="replace") if filename is not None else None


def parse_transcription_request(
    body: bytes, *, content_type: str, model: str | None = None
) -> TranscriptionRequest:
    """Validate a transcription form; `model` is the deployment of an Azure path."""
    fields: dict[str, Any] = {}
    granularities: list[str] = []
    for part in _split(body, content_type):
        name, filename = _disposition(part)
        if name == "file":
            fields["file"] = bytes(part.data)
            fields["filename"] = filename or "audio"
            continue
        if len(part.data) > _MAX_FIELD_BYTES:
            raise InvalidRequestError(f"The form field '{name}' is too long.", param=name)
        value = part.data.decode("utf-8", errors="replace")
        if name in ("timestamp_granularities[]", "timestamp_granularities"):
            granularities.append(value)
        elif name == "stream" and value.lower() == "true":
            raise UnsupportedOperationError(
                "Streamed transcriptions are not supported; leave 'stream' out.", param="stream"
            )
        elif name in ("model", "language", "prompt", "response_format"):
            fields[name] = value
        elif name in _FLOATS:
            try:
                fields[name] = float(value)
            except ValueError:
                raise InvalidRequestError(f"'{name}' must be a number.", param=name) from None
    if "file" not in fields:
        raise InvalidRequestError("The form has no 'file' part with the audio.", param="file")
    if model is not None:
        fields.setdefault("model", model)
    if granularities:
        fields["timestamp_granularities"] = tuple(granularities)
    if "model" not in fields:
        raise InvalidRequestError("You must provide a model parameter.", param="model")
    try:
        request = TranscriptionRequest.model_validate(fields)
    except ValidationError as exc:
        raise invalid_request_from_validation(exc) from exc
    if "word" in request.timestamp_granularities and request.response_format != "verbose_json":
        raise InvalidRequestError(
            "timestamp_granularities[] needs response_format 'verbose_json'.",
            param="timestamp_granularities",
        )
    return request
