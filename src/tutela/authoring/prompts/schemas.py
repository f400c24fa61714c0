"""Prompt template request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from tutela.authoring.generation.schemas import QuestionType
from tutela.core.schemas import Body, Read

Length = Literal["", "short", "medium", "long"]


class TemplateContent(Body):
    """What a version says: instructions, audience, tone, language, length, number and types of questions."""

    instructions: str = Field(default="", max_length=20_000)
    audience: str = Field(default="", max_length=500)
    tone: str = Field(default="", max_length=200)
    language: str = Field(default="", max_length=50)
    length: Length = ""
    question_count: int | None = Field(default=None, ge=1, le=200)
    question_types: list[QuestionType] = Field(default_factory=list)


class TemplateCreate(TemplateContent):
    name: str = Field(min_length=1, max_length=200)


class VersionRead(Read):
    id: str
    version: int
    instructions: str
    audience: str
    tone: str
    language: str
    length: str
    question_count: int | None
    question_types: list[str]
    created_by: str
    created_at: datetime


class TemplateRead(Read):
    id: str
    name: str
    current_version: int
    created_at: datetime
    current: VersionRead
    versions: list[int]
