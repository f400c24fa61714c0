"""Publishing errors (re-exported from modules for one place to catch them)."""

from __future__ import annotations

from tutela.authoring.modules.exceptions import ChecksFailed, SourceUnavailable, WrongState

__all__ = ["ChecksFailed", "SourceUnavailable", "WrongState"]
