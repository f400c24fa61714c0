"""Human words for roles and permissions."""

from __future__ import annotations

from tutela.core.permissions.roles import Permission, Role

PERMISSION_LABELS: dict[Permission, str] = {
    Permission.GENERATE_MODULES: "Generate modules with AI",
    Permission.GENERATE_QUESTIONS: "Generate questions with AI",
    Permission.EDIT_PROMPTS: "Edit custom prompts",
    Permission.EDIT_POLICIES: "Edit content policies",
    Permission.REVIEW_PUBLISH: "Review and publish",
    Permission.MANAGE_USERS: "Manage users and groups",
    Permission.MANAGE_AI_RESOURCES: "Manage AI resources and keys",
    Permission.VIEW_AUDIT: "View audit logs",
}

ROLE_LABELS: dict[Role, str] = {
    Role.LEARNER: "Learner",
    Role.AUTHOR: "Author",
    Role.COACH: "Coach",
    Role.ADMIN: "Admin",
}
