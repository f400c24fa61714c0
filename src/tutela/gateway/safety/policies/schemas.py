"""Rule definitions (one shape per kind), REST bodies and the Finding every evaluation returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tutela.core.schemas import Body

PersonalDataType = Literal["email", "phone", "iban"]
ALL_PERSONAL_DATA: tuple[PersonalDataType, ...] = ("email", "phone", "iban")
MAX_EVALUATED_CHARS = 1_000_000


class ForbiddenTerms(Body):
    """Words or phrases that must not appear (case-insensitive, matched on whole words)."""

    kind: Literal["forbidden_terms"]
    terms: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1, max_length=500)


class ForbiddenPattern(Body):
    """A regular expression that must not match (checked for bounded cost when saved)."""

    kind: Literal["forbidden_pattern"]
    pattern: str = Field(min_length=1, max_length=200)
    case_sensitive: bool = False


class RequiredWording(Body):
    """Wording that must appear, e.g. a disclaimer (case and whitespace are ignored)."""

    kind: Literal["required_wording"]
    text: str = Field(min_length=1, max_length=1000)
    position: Literal["anywhere", "start", "end"] = "anywhere"


class PersonalData(Body):
    """At most `max_count` items of personal data (validated: e.g. IBANs must pass their checksum)."""

    kind: Literal["personal_data"]
    types: list[PersonalDataType] = Field(default_factory=lambda: list(ALL_PERSONAL_DATA), min_length=1)
    max_count: int = Field(default=0, ge=0, le=1000)


class ReadingLevel(Body):
    """Sentence length and Flesch reading ease limits (formula chosen by language)."""

    kind: Literal["reading_level"]
    max_words_per_sentence: int | None = Field(default=25, ge=3, le=500)
    min_reading_ease: float | None = Field(default=None, ge=-100, le=121)
    language: str = Field(default="auto", pattern=r"^(auto|[a-z]{2})$")


RuleDefinition = Annotated[
    ForbiddenTerms | ForbiddenPattern | RequiredWording | PersonalData | ReadingLevel,
    Field(discriminator="kind"),
]


class RuleWrite(Body):
    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    rule: RuleDefinition


class RuleRead(BaseModel):
    id: str
    name: str
    kind: str
    enabled: bool
    version: int
    rule: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class EvaluateCreate(Body):
    text: str = Field(max_length=MAX_EVALUATED_CHARS)


class Finding(BaseModel):
    """One rule broken: which rule, where (`span` = [start, end) in the text), what."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    rule_name: str
    kind: str
    span: tuple[int, int]
    excerpt: str
    message: str


class EvaluateRead(BaseModel):
    findings: list[Finding]
