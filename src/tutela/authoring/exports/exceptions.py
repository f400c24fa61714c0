"""Why an export was refused; each message is one line a user can act on.

InvalidInput (tutela.errors)
└── UnknownFormat       the format asked for is not one Tutela writes
"""

from __future__ import annotations

from tutela.errors import InvalidInput


class UnknownFormat(InvalidInput):
    """The format asked for is not one Tutela writes."""

    code = "unknown_export_format"

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        what = f"unknown export format {name!r}" if name else "no export format given"
        super().__init__(f"{what}; use one of: {', '.join(known)}", param="format")
