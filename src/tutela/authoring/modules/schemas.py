"""Request and response bodies of `/api/documents` and `/api/modules`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from tutela.authoring.generation.checks import Finding
from tutela.authoring.modules.checks import CheckNote
from tutela.core.schemas import Body, Read

State = Literal["draft", "in_review", "published", "archived"]
QuizMode = Literal["all", "one"]  # every question on one page, or one question at a time


class DocumentRead(Read):
    id: str
    filename: str
    size: int
    page_count: int
    language: str
    headings_source: str
    uploaded_by: str
    has_pdf: bool  # whether the uploaded file (PDF or recording) is still stored
    created_at: datetime
    kind: Literal["pdf", "recording"] = "pdf"
    media_type: str = "application/pdf"
    duration_seconds: float | None = None
    # A recording's transcription job (follow it at /api/modules/jobs/{id}); its transcript is ready when
    # page_count (its number of segments) is above 0.
    transcription_job_id: str | None = None


MAX_SOURCES = 10  # documents one module may be written from


class GenerateRequest(Body):
    document_id: str | None = Field(default=None, min_length=1, max_length=100, description="one document")
    document_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=MAX_SOURCES,
        description="several documents (yours, or of the organization's library that you may see), in order",
    )
    template_id: str | None = Field(default=None, max_length=100)
    template_version: int | None = Field(default=None, ge=1, description="the current version by default")
    deployment: str = Field(default="extractive", min_length=1, max_length=100)
    instructions: str = Field(default="", max_length=20_000, description="added to the template's")

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.document_id is None) == (not self.document_ids):
            raise ValueError("name the documents to write from: one document, or a list of them, not both")
        return self

    @property
    def sources(self) -> list[str]:
        """The documents to write the module from, in order."""
        return [self.document_id] if self.document_id is not None else list(dict.fromkeys(self.document_ids))


class JobError(BaseModel):
    code: str
    message: str


class JobRead(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    stage: str
    percent: int
    document_id: str | None
    document_ids: list[str] = Field(description="every document the module is written from, in order")
    module_id: str | None
    error: JobError | None
    warnings: list[str]  # parts left out of a generated module, e.g. refused by the content filter
    created_at: datetime
    finished_at: datetime | None


class ModuleSummary(Read):
    id: str
    title: str
    language: str
    state: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class ModuleRead(ModuleSummary):
    document_id: str | None
    document_ids: list[str] = Field(description="its documents, when written from several (staff only)")
    template_id: str | None
    template_version: int | None
    deployment: str
    model: str
    attach_source: bool
    attachment_available: bool
    group_ids: list[str]
    checks_passed: bool | None
    override_reason: str | None
    pass_mark: int = Field(description="the quiz score, in percent, that passes")
    quiz_mode: QuizMode
    content: dict[str, Any] = Field(description="module.json; learners get questions without the answer key")


class ModulePatch(Body):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    summary: str | None = Field(default=None, max_length=20_000)
    learning_objectives: list[str] | None = None
    attach_source: bool | None = Field(default=None, description="offer the source PDF in the summary")
    pass_mark: int | None = Field(default=None, ge=0, le=100, description="quiz score in percent that passes")
    quiz_mode: QuizMode | None = Field(default=None, description="all questions at once, or one at a time")


class RegenerateRequest(Body):
    instructions: str = Field(default="", max_length=20_000)


class DecisionChange(Body):
    decision: Literal["accepted", "rejected"] | None = Field(
        description="accepted, rejected, or null to make the item undecided again"
    )


class ItemRead(BaseModel):
    item: str = Field(description='"lesson:<chapter>:<lesson>" or "question:<index>", all from 0')
    kind: Literal["lesson", "question"]
    chapter: int | None
    index: int
    place: str = Field(description="the item in words, e.g. 'Chapter 1, lesson 2'")
    decision: Literal["accepted", "rejected"] | None


class ItemsRead(BaseModel):
    module_id: str
    items: list[ItemRead]
    undecided: list[str] = Field(description="the undecided items in words; they are published as they are")
    rejected: int = Field(description="how many items publishing and exports leave out")


class ReportRead(BaseModel):
    module_id: str
    passed: bool
    errors: int
    warnings: int
    findings: list[Finding]
    notes: list[CheckNote]
    checked_at: datetime


class StateChange(Body):
    state: State
    group_ids: list[str] | None = Field(default=None, description="publish to these groups")
    override_reason: str | None = Field(
        default=None, max_length=2000, description="admins only: publish although checks failed"
    )
    reviewer_ids: list[str] | None = Field(
        default=None, max_length=20, description="when submitting: the people asked to review"
    )
    comment: str | None = Field(
        default=None, max_length=2000, description="when sending back to draft: what to change"
    )


class AttemptCreate(Body):
    answers: list[list[str]] = Field(description="one list of answers per question, in order")


class AttemptRead(Read):
    id: str
    module_id: str
    user_id: str
    answers: list[list[str]]
    correct: int
    total: int
    score: float
    passed: bool = Field(description="the score reached the pass mark of the time")
    created_at: datetime


class AttemptResult(AttemptRead):
    results: list[bool]
    key: list[dict[str, Any]] = Field(description="answer key and explanation of every question")
