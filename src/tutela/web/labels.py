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

# What each audit action means, in the words of the audit log page (an action missing here is shown by a
# wording made from its code, e.g. "module.quiz_settings_set" → "Module: quiz settings set").
ACTION_LABELS: dict[str, str] = {
    "ai.deployment_created": "Model deployment created",
    "ai.deployment_deleted": "Model deployment deleted",
    "ai.deployment_price_removed": "Deployment price removed",
    "ai.deployment_price_set": "Deployment price set",
    "ai.deployment_routing_set": "Deployment targets and fallbacks changed",
    "ai.key_created": "AI key created",
    "ai.key_revoked": "AI key revoked",
    "ai.limits_removed": "Rate limits and budgets removed",
    "ai.limits_set": "Rate limits and budgets set",
    "ai.resource_created": "AI resource created",
    "ai.usage_retention_changed": "Usage retention changed",
    "auth.signed_in": "Signed in",
    "document.downloaded": "Source PDF downloaded",
    "document.uploaded": "PDF uploaded",
    "group.created": "Group created",
    "membership.removed": "Removed from a group",
    "membership.set": "Role in a group set",
    "module.publish_override": "Published although checks failed",
    "module.source_pdf_deleted": "Source PDF deleted",
    "module.state_changed": "Module state changed",
    "module.quiz_settings_set": "Quiz settings changed",
    "module.attachment_set": "Source PDF offered or withdrawn",
    "modules.exported": "Modules exported",
    "monitoring.access_approved": "Access to flagged content approved",
    "monitoring.access_requested": "Access to flagged content requested",
    "monitoring.content_read": "Flagged content read",
    "monitoring.opt_out_approved": "Abuse-monitoring opt-out approved",
    "monitoring.opt_out_requested": "Abuse-monitoring opt-out requested",
    "monitoring.outcome_recorded": "Review outcome recorded",
    "monitoring.purged": "Monitoring records purged",
    "monitoring.retention_changed": "Monitoring retention changed",
    "org.ai_switched": "AI features switched on or off",
    "org.authoring_document_filter_changed": "Upload content filter changed",
    "org.created": "Organization created",
    "permissions.changed": "Permissions changed",
    "policies.rule_created": "Content policy rule created",
    "policies.rule_deleted": "Content policy rule deleted",
    "policies.rule_updated": "Content policy rule changed",
    "prompt.created": "Prompt template created",
    "prompt.versioned": "Prompt template changed",
    "safety.blocklist_created": "Blocklist created",
    "safety.blocklist_deleted": "Blocklist deleted",
    "safety.blocklist_item_added": "Blocklist term added",
    "safety.blocklist_item_removed": "Blocklist term removed",
    "safety.content_filter_updated": "Content filter changed",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "user.activated": "User activated or deactivated",
    "user.created": "User created",
    "user.unlocked": "User unlocked",
}


def action_label(action: str) -> str:
    """An audit action in words."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    area, _, what = action.partition(".")
    return f"{area.capitalize()}: {what.replace('_', ' ')}" if what else action.replace("_", " ").capitalize()


# Detail keys whose wording made from the code would read badly.
DETAIL_LABELS: dict[str, str] = {
    "requests_per_minute": "Requests per minute",
    "tokens_per_minute": "Tokens per minute",
    "tokens_per_day": "Tokens per day",
    "tokens_per_month": "Tokens per month",
    "input_per_million": "Price per million input tokens",
    "output_per_million": "Price per million output tokens",
    "from_days": "Before (days)",
    "to_days": "Now (days)",
    "platform_default": "The platform's default",
}


def detail_label(key: str) -> str:
    """An audit detail's key in words ("override_reason" → "Override reason")."""
    return DETAIL_LABELS.get(key) or key.replace("_", " ").capitalize()
