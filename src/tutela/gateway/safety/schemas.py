"""The filter policy document of a deployment, and the REST bodies of blocklists and filters."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutela.core.schemas import Body, Read
from tutela.gateway.safety.external.schemas import MAX_SERVICES, ServiceSettings

Level = Literal["low", "medium", "high", "off"]  # filter at this severity and above, or never
Action = Literal["filter", "annotate", "off"]  # shields, profanity and organization policies

BLOCKLIST_NAME = r"^[A-Za-z0-9._~-]{1,64}$"
MAX_ATTACHED_BLOCKLISTS = 10


class _Direction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hate: Level = "medium"
    sexual: Level = "medium"
    violence: Level = "medium"
    self_harm: Level = "medium"
    profanity: Action = "annotate"
    blocklists: list[str] = Field(default_factory=list, max_length=MAX_ATTACHED_BLOCKLISTS)
    organization_policies: Action = "off"


class PromptFilter(_Direction):
    """How prompts are screened; shields run on user turns (jailbreak) and documents (indirect attack)."""

    jailbreak: Action = "filter"
    indirect_attack: Action = "annotate"


class CompletionFilter(_Direction):
    """How completions are screened."""


class FilterSettings(BaseModel):
    """A deployment's content filter: Azure's defaults (medium and above filtered) unless changed."""

    model_config = ConfigDict(extra="forbid")

    prompt: PromptFilter = Field(default_factory=PromptFilter)
    completion: CompletionFilter = Field(default_factory=CompletionFilter)
    services: list[ServiceSettings] = Field(
        default_factory=list,
        max_length=MAX_SERVICES,
        description="external safety services combined with the built-in classifier (strictest wins)",
    )


class ContentFilterRead(BaseModel):
    deployment_id: str
    deployment: str
    settings: FilterSettings
    version: int = Field(description="0 while the deployment uses the defaults")
    sealed_keys: list[str] = Field(
        default_factory=list, description="services whose API key Tutela keeps sealed (never returned)"
    )


class BlocklistItemCreate(Body):
    kind: Literal["exact", "regex"] = "exact"
    pattern: str = Field(min_length=1, max_length=500, description="a term, or a regular expression")


class BlocklistItemRead(Read):
    id: str
    kind: str
    pattern: str
    created_at: datetime


class BlocklistCreate(Body):
    name: str = Field(pattern=BLOCKLIST_NAME)
    description: str = Field(default="", max_length=500)
    items: list[BlocklistItemCreate] = Field(default_factory=list, max_length=1000)


class BlocklistRead(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime
    items: list[BlocklistItemRead]
