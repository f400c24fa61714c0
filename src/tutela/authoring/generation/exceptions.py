"""Errors of module and quiz generation.

TutelaError
└── InvalidInput
    └── MalformedPassages     a prompt's source-passage block cannot be read back
"""

from __future__ import annotations

from tutela.errors import InvalidInput


class MalformedPassages(InvalidInput):
    """A source-passage block in a prompt is opened but never closed, or its header is unreadable."""

    code = "malformed_passages"
