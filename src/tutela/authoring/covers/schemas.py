"""The cover API's bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tutela.authoring.covers.service import MAX_PROMPT_CHARS


class CoverRead(BaseModel):
    """What the author sees: the image deployments to choose from, the proposed prompt, and which images
    exist (the accepted cover, the proposal waiting for review)."""

    module_id: str
    lesson: int | None  # the lesson (numbered from 1 across chapters), None for the module's own cover
    deployments: list[str]
    proposed_prompt: str
    has_cover: bool
    has_proposal: bool
    proposal_deployment: str | None


class CoverGenerate(BaseModel):
    """Generate a proposal from this prompt with this image deployment."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    deployment: str = Field(min_length=1, max_length=100)


class CoverDecision(BaseModel):
    """Accept the proposal as the module's cover, or discard it."""

    model_config = ConfigDict(extra="forbid")

    accept: bool
