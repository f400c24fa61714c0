"""Errors of module and quiz generation.

TutelaError
├── InvalidInput
│   └── NothingToTeach        the document has no section with text to write a lesson from
└── GenerationFailed          the gateway refused the request itself (upstream down, key revoked, ...)
    └── NothingGenerated      every lesson was left out (refused, or the model's replies unusable)
"""

from __future__ import annotations

from tutela.errors import InvalidInput, TutelaError


class NothingToTeach(InvalidInput):
    """No section of the document has enough running text for a lesson."""

    code = "nothing_to_teach"


class GenerationFailed(TutelaError):
    """A stage's request failed for a reason that is not the part's own (the model cannot be reached)."""

    status_code = 502
    code = "generation_failed"


class NothingGenerated(GenerationFailed):
    """No lesson could be written: its message says why and which setting to change."""

    status_code = 422
    code = "nothing_generated"
