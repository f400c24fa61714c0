"""A module's reviewers over the API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tutela.core.schemas import Body


class Person(BaseModel):
    """Someone named to others: id and name (or e-mail address when they gave no name)."""

    id: str
    name: str


class Reviewers(BaseModel):
    """Who is assigned to review the module, and who may be (everyone who may publish)."""

    assigned: list[Person]
    candidates: list[Person]


class ReviewersSet(Body):
    """The people to ask to review the module (replaces the list)."""

    user_ids: list[str] = Field(max_length=20)
