"""Restoring streamed chunks: per choice, with a held-back tail released on finish or at the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from tutela.gateway.pii import rewrite
from tutela.gateway.pii.pseudonyms import Pseudonyms
from tutela.gateway.pii.vault import Vault
from tutela.gateway.wire.chat import ChatChunk, chat_chunk


async def _chunks(*pieces: tuple[int, str | None, str | None]) -> AsyncIterator[ChatChunk]:
    for index, content, finish in pieces:
        yield chat_chunk(id="c", model="m", content=content, finish_reason=finish, index=index)


def _texts(pseudonyms: Pseudonyms, *pieces: tuple[int, str | None, str | None]) -> dict[int, list[str]]:
    async def run() -> list[ChatChunk]:
        return [c async for c in rewrite.chat_stream(_chunks(*pieces), pseudonyms)]

    out: dict[int, list[str]] = {}
    for chunk in asyncio.run(run()):
        for choice in chunk.choices:
            out.setdefault(choice.index, []).append(choice.delta.content or "")
    return out


def test_two_choices_restored_independently_tail_released_on_finish() -> None:
    pseudonyms = Pseudonyms(Vault(org_id="org", request_id="req"))
    pseudonyms.pseudonymise("ada@example.org bob@example.org")
    texts = _texts(
        pseudonyms,
        (0, "to <EMA", None),
        (1, "cc <EMAIL", None),
        (0, "IL_1>", None),
        (1, "_2> <", None),
        (1, None, "stop"),
        (0, "", "stop"),
    )
    assert texts == {0: ["to ", "ada@example.org", ""], 1: ["cc ", "bob@example.org ", "<"]}


def test_a_stream_that_ends_unfinished_still_delivers_what_was_held() -> None:
    pseudonyms = Pseudonyms(Vault(org_id="org", request_id="req"))
    pseudonyms.pseudonymise("ada@example.org")
    assert _texts(pseudonyms, (0, "write to <EMAIL_", None)) == {0: ["write to ", "<EMAIL_"]}
