"""Headings: taken from the bookmarks where there are some, else inferred from font size and weight."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .blocks import Block

_LARGER = 1.12  # a heading's size over the body size
_MAX_HEADING_CHARS = 150
_MAX_HEADING_WORDS = 16
_MAX_LEVELS = 4
# When most blocks look like headings (slides, forms), sizes say nothing about structure.
_MAX_HEADING_SHARE = 0.4


@dataclass(frozen=True, slots=True)
class Bookmark:
    """One outline entry; level 1 is the top, page counts from 1."""

    level: int
    title: str
    page: int


def body_size(blocks: Sequence[Block]) -> float:
    """The font size most of the text is set in."""
    weights: Counter[float] = Counter()
    for block in blocks:
        for line in block.lines:
            weights[round(line.size * 2) / 2] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _looks_like_heading_text(text: str) -> bool:
    visible = text.replace(" ", "")
    letters = sum(char.isalpha() for char in visible)
    return (
        2 <= len(text) <= _MAX_HEADING_CHARS
        and letters >= 2
        and letters >= 0.5 * len(visible)
        and len(text.split()) <= _MAX_HEADING_WORDS
        and text.rstrip()[-1] not in ",;"
    )


def _heading_key(block: Block, body: float) -> float | None:
    """A sort key for the block's heading rank (bigger is higher), or None for running text."""
    if len(block.lines) > 3 or not _looks_like_heading_text(block.text) or body <= 0:
        return None
    if block.size >= body * _LARGER:
        return round(block.size * 2) / 2
    if block.bold and block.size >= body * 0.95 and len(block.lines) == 1 and not block.text.endswith("."):
        return body  # bold at body size ranks below every larger size
    return None


def infer_heading_levels(blocks: Sequence[Block]) -> dict[int, int]:
    """Map block index to heading level for blocks set apart by a larger or bold font."""
    body = body_size(blocks)
    keys = {
        index: key for index, block in enumerate(blocks) if (key := _heading_key(block, body)) is not None
    }
    if len(keys) > _MAX_HEADING_SHARE * len(blocks):
        keys = {index: key for index, key in keys.items() if key > body}
        if len(keys) > _MAX_HEADING_SHARE * len(blocks):
            return {}
    ranks = sorted(set(keys.values()), reverse=True)
    return {index: min(ranks.index(key) + 1, _MAX_LEVELS) for index, key in keys.items()}


def normalized_title(text: str) -> str:
    """Lower-case letters and digits only, so a bookmark matches its printed heading."""
    return re.sub(r"[\W_]+", "", text.lower())


def match_bookmark(bookmark: Bookmark, blocks: Sequence[Block], start: int) -> int | None:
    """Index of the block (from `start`) on the bookmark's page that prints its title."""
    wanted = normalized_title(bookmark.title)
    if not wanted:
        return None
    for index in range(start, len(blocks)):
        block = blocks[index]
        if block.page > bookmark.page:
            break
        if block.page < bookmark.page or len(block.text) > 2 * len(bookmark.title) + 20:
            continue
        printed = normalized_title(block.text)
        if printed and (
            printed == wanted or (len(printed) >= 4 and (printed in wanted or wanted in printed))
        ):
            return index
    return None
