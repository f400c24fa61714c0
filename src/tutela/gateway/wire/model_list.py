"""``GET /v1/models``: the model cards the gateway advertises."""

from __future__ import annotations

from pydantic import Field

from tutela.gateway.wire.common import ResponseModel


class ModelCard(ResponseModel):
    """One model (for the gateway, one deployment name)."""

    id: str
    object: str = "model"
    created: int = 0
    owned_by: str = "tutela"


class ModelList(ResponseModel):
    """``{"object": "list", "data": [...]}``."""

    object: str = "list"
    data: list[ModelCard] = Field(default_factory=list)
