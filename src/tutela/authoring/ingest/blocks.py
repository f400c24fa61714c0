"""A block of consecutive lines on one page, the unit headings and paragraphs are made from."""

from __future__ import annotations

from dataclasses import dataclass

from .lines import Line


@dataclass(slots=True)
class Block:
    """Lines grouped on one page, with their joined text; `verse` when it keeps line breaks (verse.py)."""

    page: int
    lines: list[Line]
    text: str
    verse: bool = False

    @property
    def size(self) -> float:
        """Font size of the block's first line."""
        return self.lines[0].size

    @property
    def bold(self) -> bool:
        """Whether every line of the block is bold."""
        return all(line.bold for line in self.lines)
