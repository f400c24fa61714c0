"""The PII detectors: what they must find, and the look-alikes (dates, versions, amounts) they must leave."""

from __future__ import annotations

import pytest

from tutela.gateway.pii.detectors import Kind, find, iban_is_valid, luhn_is_valid


def _found(text: str) -> list[tuple[str, Kind]]:
    return [(text[f.start : f.end], f.kind) for f in find(text)]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("ada.lovelace@example.com", Kind.EMAIL),
        ("j.o'neil+billing@mail.example.co.uk".replace("'", ""), Kind.EMAIL),
        ("DE89370400440532013000", Kind.IBAN),
        ("DE89 3704 0044 0532 0130 00", Kind.IBAN),
        ("GB82 WEST 1234 5698 7654 32", Kind.IBAN),
        ("FR14 2004 1010 0505 0001 3M02 606", Kind.IBAN),
        ("NL91ABNA0417164300", Kind.IBAN),
        ("4111 1111 1111 1111", Kind.CARD),
        ("5500-0000-0000-0004", Kind.CARD),
        ("378282246310005", Kind.CARD),
        ("+49 30 1234567", Kind.PHONE),
        ("+44 20 7946 0958", Kind.PHONE),
        ("+33 6 12 34 56 78", Kind.PHONE),
        ("+1 (555) 123-4567", Kind.PHONE),
        ("+41.44.668.18.00", Kind.PHONE),
        ("0049 30 12345678", Kind.PHONE),
        ("030 1234567", Kind.PHONE),
        ("(030) 12345678", Kind.PHONE),
        ("030/1234567", Kind.PHONE),
        ("020 7946 0958", Kind.PHONE),
        ("06 12 34 56 78", Kind.PHONE),
        ("(555) 123-4567", Kind.PHONE),
        ("555-123-4567", Kind.PHONE),
        ("555.123.4567", Kind.PHONE),
    ],
)
def test_finds_the_value_whole_in_a_sentence(value: str, kind: Kind) -> None:
    text = f"Please note: {value}, thanks."
    assert _found(text) == [(value, kind)]


@pytest.mark.parametrize(
    "text",
    [
        "The course starts on 2024-01-05 and ends 05.01.2025 or 12/03/2024.",
        "Upgrade from version 1.2.3 to v10.4.1 (build 2024.11.0).",
        "The budget is 1,000,000 USD, or €1.234.567,89, or 12 345 678 CHF.",
        "Order 123456789 shipped; invoice 2024-000123.",
        "Server 192.168.0.1 answered in 0.25 seconds.",
        "ISBN 978-3-16-148410-0 is on page 12-14.",
        "DE89370400440532013001 is a mistyped IBAN.",
        "DE89 3704 0044 0532 0130 01 is one too, though its digits pass the Luhn check.",
        "4111 1111 1111 1112 fails the Luhn check.",
        "Write to support at example dot com or @handle on the forum.",
        "The ratio was 10:30-11:45, score 3-2, temperature -0.5.",
    ],
)
def test_leaves_look_alikes_alone(text: str) -> None:
    assert _found(text) == []


def test_several_kinds_in_one_text_in_order() -> None:
    text = (
        "Mail ada@example.org or call +49 30 1234567; pay to DE89 3704 0044 0532 0130 00 "
        "AND NOT card 4111111111111111."
    )
    assert _found(text) == [
        ("ada@example.org", Kind.EMAIL),
        ("+49 30 1234567", Kind.PHONE),
        ("DE89 3704 0044 0532 0130 00", Kind.IBAN),
        ("4111111111111111", Kind.CARD),
    ]


def test_checksums() -> None:
    assert iban_is_valid("GB82WEST12345698765432")
    assert not iban_is_valid("GB82WEST12345698765433")
    assert not iban_is_valid("GB82")
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")
