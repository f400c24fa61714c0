"""A request's mapping: stable typed placeholders out, the values back, streamed text split anywhere."""

from __future__ import annotations

from tutela.gateway.pii.pseudonyms import Pseudonyms, StreamRestorer
from tutela.gateway.pii.vault import Vault

TEXT = "Ada (ada@example.org, +44 20 7946 0958) pays from GB82 WEST 1234 5698 7654 32; cc ADA@example.org."


def test_same_value_same_placeholder_and_back() -> None:
    pseudonyms = Pseudonyms(Vault(org_id="org", request_id="req"))
    out = pseudonyms.pseudonymise(TEXT)
    assert out == "Ada (<EMAIL_1>, <PHONE_1>) pays from <IBAN_1>; cc <EMAIL_1>."
    assert pseudonyms.pseudonymise("Reply to ada@example.org and bob@example.org") == (
        "Reply to <EMAIL_1> and <EMAIL_2>"
    )
    assert pseudonyms.restore("Dear <EMAIL_2>, see <IBAN_1> and <PHONE_9>.") == (
        "Dear bob@example.org, see GB82 WEST 1234 5698 7654 32 and <PHONE_9>."
    )


def test_placeholders_of_another_request_are_not_restored() -> None:
    first, second = (
        Pseudonyms(Vault(org_id="org", request_id="req")),
        Pseudonyms(Vault(org_id="org", request_id="req")),
    )
    first.pseudonymise("ada@example.org")
    assert second.restore("<EMAIL_1>") == "<EMAIL_1>"


def test_a_placeholder_split_anywhere_in_a_stream_is_restored() -> None:
    pseudonyms = Pseudonyms(Vault(org_id="org", request_id="req"))
    reply = pseudonyms.pseudonymise(f"Sent to {TEXT} <b>ok</b> a<b")
    expected = pseudonyms.restore(reply)
    # One placeholder per address whatever its case: the first spelling seen comes back.
    assert expected == f"Sent to {TEXT.replace('ADA@', 'ada@')} <b>ok</b> a<b"
    for size in range(1, 16):
        restorer = StreamRestorer(pseudonyms)
        pieces = [reply[i : i + size] for i in range(0, len(reply), size)]
        out = "".join(restorer.feed(p) for p in pieces) + restorer.flush()
        assert out == expected


def test_a_stream_holds_back_no_more_than_a_placeholder() -> None:
    pseudonyms = Pseudonyms(Vault(org_id="org", request_id="req"))
    pseudonyms.pseudonymise("ada@example.org")
    restorer = StreamRestorer(pseudonyms)
    assert restorer.feed("Write to <EMA") == "Write to "
    assert restorer.feed("IL_1> now <") == "ada@example.org now "
    assert restorer.feed("3 apples") == "<3 apples"
    assert restorer.flush() == ""
