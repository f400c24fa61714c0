"""Errors of organization content policies."""

from __future__ import annotations

from tutela.errors import Conflict


class RuleNameTaken(Conflict):
    """Another rule of the organization has this name."""

    code = "rule_name_taken"
