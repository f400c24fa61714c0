"""Errors of module and quiz generation.

TutelaError
├── InvalidInput
│   ├── MalformedPassages     a prompt's source-passage block cannot be read back
│   └── NothingToTeach        the document has no section with text to write a lesson from
└── GenerationFailed          a model's answer did not match the schema of its stage, even on retry
"""

from __future__ import annotations

from tutela.errors import InvalidInput, TutelaError


class MalformedPassages(InvalidInput):
    """A source-passage block in a prompt is opened but never closed, or its header is unreadable."""

    code = "malformed_passages"


class NothingToTeach(InvalidInput):
    """No section of the document has enough running text for a lesson."""

    code = "nothing_to_teach"


class GenerationFailed(TutelaError):
    """A stage's response could not be used: it failed validation twice, or the model refused it."""

    status_code = 502
    code = "generation_failed"
