"""``response_format``: plain text, any JSON object, or JSON matching a schema."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Annotated, Any, Literal

from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for
from pydantic import Discriminator, Field, Tag, field_validator

from tutela.gateway.wire.common import RequestModel, discriminate

# Schemas already found valid, by their canonical JSON: checking one costs tens of milliseconds and
# clients (authoring first) send the same few schemas with every request.
_VALID_SCHEMAS: OrderedDict[str, None] = OrderedDict()
_VALID_SCHEMAS_KEPT = 256


def check_json_schema(schema: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the defect if ``schema`` is not a valid JSON Schema."""
    try:
        key = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        key = None
    if key is not None and key in _VALID_SCHEMAS:
        _VALID_SCHEMAS.move_to_end(key)
        return
    # Honour "$schema" when present so draft-07 schemas are checked as draft-07.
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        at = f" at '{where}'" if where else ""
        raise ValueError(f"not a valid JSON Schema{at}: {exc.message}") from exc
    if key is not None:
        _VALID_SCHEMAS[key] = None
        if len(_VALID_SCHEMAS) > _VALID_SCHEMAS_KEPT:
            _VALID_SCHEMAS.popitem(last=False)


class TextFormat(RequestModel):
    """Free text (the default)."""

    type: Literal["text"]


class JsonObjectFormat(RequestModel):
    """Any syntactically valid JSON object."""

    type: Literal["json_object"]


class JsonSchemaSpec(RequestModel):
    """A named JSON Schema the output must follow."""

    name: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]
    description: str | None = None
    # Aliased because ``schema`` shadows a (deprecated) BaseModel attribute.
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            check_json_schema(value)
        return value


class JsonSchemaFormat(RequestModel):
    """``{"type": "json_schema", "json_schema": {...}}``."""

    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


ResponseFormat = Annotated[
    Annotated[TextFormat, Tag("type=text")]
    | Annotated[JsonObjectFormat, Tag("type=json_object")]
    | Annotated[JsonSchemaFormat, Tag("type=json_schema")],
    Discriminator(discriminate("type")),
]
