"""Prompt template errors."""

from __future__ import annotations

from tutela.errors import Conflict


class TemplateNameTaken(Conflict):
    """Another template of the organization has this name."""

    code = "template_name_taken"
