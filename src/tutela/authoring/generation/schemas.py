"""Tutela's structured outputs: what any model (the extractive one or an upstream LLM) must return.

Answer representation, the same for every question type: `answer` is always a list of strings.
- single_choice: exactly one element, equal to one of `options`.
- multiple_choice: one or more elements, each equal to one of `options` (the correct statements).
- true_false: `options` is exactly ["true", "false"] (the UI localizes the labels); `answer` is one of
  them.
- fill_in_blank: `stem` contains the blank marker "_____"; `options` is empty; `answer` lists accepted
  fillers, the first being the canonical one.
- short_answer: `options` is empty; `answer` lists reference answers, the first being the canonical one.

Pages are numbered from 1; a citation's `quote` is an exact substring of that page's text (of the document it
names, in a module written from several documents). A module made from a recording cites its transcript,
whose "pages" are its segments: each citation also carries the segment's time span in seconds (`start`,
`end`), filled in from the transcript (timing.py), never by a model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

BLANK = "_____"
TRUE_FALSE_OPTIONS = ("true", "false")

QuestionType = Literal["single_choice", "multiple_choice", "true_false", "fill_in_blank", "short_answer"]
QUESTION_TYPES: tuple[QuestionType, ...] = (
    "single_choice",
    "multiple_choice",
    "true_false",
    "fill_in_blank",
    "short_answer",
)

NonEmptyStr = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def clock(seconds: float) -> str:
    """A time stamp as players show it: "1:05:09", "4:09", "0:12"."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Citation(_Strict):
    """Where a statement comes from: a page (from 1) and an exact quote of that page's text.

    A module written from several documents names the document too (its id and title); the page is then
    that document's page. A module made from a recording gives the time span of that transcript segment.
    A model never writes these: the pipeline adds them (generation/combined.py, generation/timing.py).
    """

    page: int = Field(ge=1)
    quote: NonEmptyStr
    document_id: str | None = Field(default=None, max_length=100)
    document: str | None = Field(default=None, max_length=500, description="the document's title")
    start: float | None = Field(default=None, ge=0)
    end: float | None = Field(default=None, ge=0)

    @property
    def place(self) -> str:
        """The place in its document: "page 3", or the moment "0:12–0:18" of a recording."""
        if self.start is not None and self.end is not None:
            return f"{clock(self.start)}\u2013{clock(self.end)}"
        return f"page {self.page}"

    @property
    def where(self) -> str:
        """The place in words: "page 3" ("0:12–0:18" in a recording), after "“Title”, " for a module of
        several documents."""
        return f"\u201c{self.document}\u201d, {self.place}" if self.document else self.place


class SourceRange(_Strict):
    """A stretch of the source: the section it belongs to (None for page windows) and its pages."""

    section: str | None = None
    first_page: int = Field(ge=1)
    last_page: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.last_page < self.first_page:
            raise ValueError("the last page comes before the first page")
        return self


class OutlineChapter(_Strict):
    """One planned chapter and the source it will be written from."""

    title: NonEmptyStr
    sources: list[SourceRange] = Field(min_length=1)


class ModuleOutline(_Strict):
    """The plan of a module: title, learning objectives, chapters."""

    title: NonEmptyStr
    learning_objectives: list[str]
    chapters: list[OutlineChapter] = Field(min_length=1)


class LessonParagraph(_Strict):
    """A paragraph of lesson text and the quotes that ground it."""

    content: NonEmptyStr
    citations: list[Citation] = Field(min_length=1)


class Lesson(_Strict):
    """One lesson written from one section of the source."""

    title: NonEmptyStr
    paragraphs: list[LessonParagraph] = Field(min_length=1)


class Summary(_Strict):
    """A short summary of the whole source."""

    content: NonEmptyStr
    citations: list[Citation] = Field(min_length=1)


def _casefolded_duplicates(values: list[str]) -> bool:
    folded = [" ".join(v.split()).casefold() for v in values]
    return len(set(folded)) != len(folded)


class Question(_Strict):
    """One quiz question with its answer key, explanation and source citation."""

    type: QuestionType
    stem: NonEmptyStr
    options: list[str]
    answer: list[str] = Field(min_length=1)
    explanation: NonEmptyStr
    citation: Citation

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if _casefolded_duplicates(self.options):
            raise ValueError("duplicate options")
        if _casefolded_duplicates(self.answer):
            raise ValueError("duplicate answers")
        _check_shape(self)
        return self


# Question types as an author reads them in an error message.
QUESTION_WORDS = {
    "single_choice": "a single-choice question",
    "multiple_choice": "a multiple-choice question",
    "true_false": "a true/false question",
    "fill_in_blank": "a fill-in-the-blank question",
    "short_answer": "a short-answer question",
}


def _check_shape(q: Question) -> None:
    kind = QUESTION_WORDS[q.type]
    if q.type in ("fill_in_blank", "short_answer"):
        if q.options:
            raise ValueError(f"{kind} takes no options")
        if q.type == "fill_in_blank" and BLANK not in q.stem:
            raise ValueError(f"{kind} must contain {BLANK!r} in its text")
        return
    if q.type == "true_false":
        if tuple(q.options) != TRUE_FALSE_OPTIONS:
            raise ValueError(f"{kind} has exactly the options {' and '.join(TRUE_FALSE_OPTIONS)}")
        if len(q.answer) != 1:
            raise ValueError(f"{kind} takes exactly one answer")
    minimum = 3 if q.type == "single_choice" else 2
    if q.type != "true_false" and len(q.options) < minimum:
        raise ValueError(f"{kind} needs at least {minimum} options")
    if not set(q.answer) <= set(q.options):
        raise ValueError("every answer must be one of the options")
    if q.type == "single_choice" and len(q.answer) != 1:
        raise ValueError(f"{kind} takes exactly one answer")


class QuestionSet(_Strict):
    """Suggested quiz questions."""

    questions: list[Question]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if _casefolded_duplicates([q.stem for q in self.questions]):
            raise ValueError("duplicate question stems")
        return self


class ModuleLesson(_Strict):
    """A lesson as stored in module.json: its text and the quotes that ground it."""

    title: NonEmptyStr
    content: NonEmptyStr
    citations: list[Citation] = Field(min_length=1)


class ModuleChapter(_Strict):
    """A chapter of the finished module."""

    title: NonEmptyStr
    lessons: list[ModuleLesson] = Field(min_length=1)


class Module(_Strict):
    """The finished module, serialized as module.json."""

    schema_version: Literal[1] = 1
    title: NonEmptyStr
    language: str = Field(pattern="^([a-z]{2}|und)$")  # ISO 639-1, "und" when undetermined
    learning_objectives: list[str] = Field(default_factory=list)
    chapters: list[ModuleChapter] = Field(min_length=1)
    summary: str
    questions: list[Question]


# The names a prompt uses (response_format json_schema name) to ask for each structured output.
SCHEMAS: dict[str, type[BaseModel]] = {
    "module_outline": ModuleOutline,
    "lesson": Lesson,
    "question_set": QuestionSet,
    "summary": Summary,
    "module": Module,
}


def module_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of module.json, as exported to schemas/module.schema.json."""
    schema = Module.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "module.schema.json", **schema}
