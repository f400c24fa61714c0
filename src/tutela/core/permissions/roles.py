"""Roles, permissions and the default matrix.

Roles are held per group, as in mainstream learning platforms; a user's roles in an organization are the
union over their groups. Organization settings (the matrix itself, the AI switch) are reserved to admins and
are not in the matrix, so no edit of the matrix can lock every admin out.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Roles a user holds in a group, from least to most trusted."""

    LEARNER = "learner"
    AUTHOR = "author"
    COACH = "coach"
    ADMIN = "admin"


class Permission(StrEnum):
    """What the matrix decides per organization."""

    GENERATE_MODULES = "ai.generate_modules"
    GENERATE_QUESTIONS = "ai.generate_questions"
    EDIT_PROMPTS = "prompts.edit"
    EDIT_POLICIES = "policies.edit"
    REVIEW_PUBLISH = "content.review_publish"
    MANAGE_USERS = "users.manage"
    MANAGE_AI_RESOURCES = "ai.manage_resources"
    VIEW_AUDIT = "audit.view"


class StaffRole(StrEnum):
    """Platform roles above organizations."""

    OPERATOR = "operator"
    SAFETY_REVIEWER = "safety_reviewer"
    SAFETY_MANAGER = "safety_manager"


DEFAULT_MATRIX: dict[Role, frozenset[Permission]] = {
    Role.LEARNER: frozenset(),
    Role.AUTHOR: frozenset({Permission.GENERATE_MODULES, Permission.GENERATE_QUESTIONS}),
    Role.COACH: frozenset(
        {Permission.GENERATE_MODULES, Permission.GENERATE_QUESTIONS, Permission.REVIEW_PUBLISH}
    ),
    Role.ADMIN: frozenset(Permission),
}
