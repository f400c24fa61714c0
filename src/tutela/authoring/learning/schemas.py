"""Request and response bodies of `/api/modules/{module_id}/progress`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tutela.core.schemas import Body


class LessonSeen(Body):
    lesson: int = Field(ge=0, description="the lesson opened: its number across chapters, from 0")


class ProgressRead(BaseModel):
    module_id: str
    user_id: str
    lessons_total: int
    lessons_seen: list[int] = Field(description="lesson numbers across chapters, from 0")
    current_lesson: int = Field(description="where to resume")
    questions: int
    pass_mark: int = Field(description="the score, in percent, that passes the quiz")
    quiz_passed: bool
    percent: int = Field(description="lessons seen and the quiz passed, as a share of all steps")
    completed: bool
    completed_at: datetime | None
    quiz_passed_at: datetime | None


class GroupCompletion(BaseModel):
    group_id: str
    name: str
    learners: int = Field(description="members of the group (any role)")
    started: int = Field(description="of them, how many opened a lesson or took the quiz")
    completed: int


class CompletionRead(BaseModel):
    module_id: str
    groups: list[GroupCompletion] = Field(description="each group the module is published to")
    learners: int = Field(description="people in any of those groups, each counted once")
    started: int
    completed: int
