"""National id numbers: each format with its check, look-alikes refused, and the set a region's jurisdiction
picks."""

from __future__ import annotations

import pytest

from tutela.gateway.pii import national_ids
from tutela.gateway.pii.detectors import Kind, find, profile
from tutela.gateway.pii.national_ids import (
    bsn_is_valid,
    codice_fiscale_is_valid,
    dni_is_valid,
    nir_is_valid,
    steuer_id_is_valid,
)

EVERY = profile(national_ids.EVERY)


def _ids(text: str, detectors: tuple[national_ids.Detector, ...] = EVERY) -> list[str]:
    return [text[f.start : f.end] for f in find(text, detectors) if f.kind is Kind.NATIONAL_ID]


@pytest.mark.parametrize(
    "value",
    [
        "12345678Z",  # DNI
        "12345678-Z",
        "X1234567L",  # NIE
        "Y0000000Z",
        "RSSMRA85T10A562S",  # codice fiscale
        "1 84 12 76 451 089 46",  # NIR
        "184127645108946",
        "2 55 08 2A 004 001 94",  # NIR, born in Corsica
        "86095742719",  # Steuer-IdNr
        "86 095 742 719",
        "123-45-6789",  # SSN
        "078 05 1120",
        "AB 12 34 56 C",  # NINO
        "JG103759A",
    ],
)
def test_each_format_is_found_whole(value: str) -> None:
    assert _ids(f"The number is {value}, as filed.") == [value]


@pytest.mark.parametrize(
    "value",
    [
        "12345678A",  # DNI with the wrong letter
        "RSSMRA85T10A562T",  # codice fiscale with the wrong check character
        "1 84 12 76 451 089 47",  # NIR with the wrong key
        "86095742718",  # tax id with the wrong check digit
        "12345678903",  # tax id shape, but no digit repeated in the first ten
        "666-12-3456",  # SSN area never issued
        "123-00-4567",  # SSN group 00
        "123456789",  # nine bare digits: no SSN (no separators), no BSN (no word naming it)
        "GB 12 34 56 C",  # NINO prefix never issued
        "QQ 12 34 56 C",
    ],
)
def test_look_alikes_are_left_alone(value: str) -> None:
    assert _ids(f"The number is {value}, as filed.") == []


def test_a_dutch_bsn_needs_the_word_naming_it() -> None:
    assert bsn_is_valid("111222333") and not bsn_is_valid("111222334")
    assert _ids("BSN: 111222333 en burgerservicenummer 1112.22.333") == ["111222333", "1112.22.333"]
    assert _ids("Het BSN is 111222333.") == ["111222333"]
    assert _ids("order 111222333 shipped") == []


def test_the_checks_themselves() -> None:
    assert dni_is_valid("X1234567L") and not dni_is_valid("X1234567T")
    assert codice_fiscale_is_valid("RSSMRA85T10A562S")
    assert nir_is_valid("255082A00400194") and not nir_is_valid("255082B00400194")
    assert steuer_id_is_valid("86095742719")


def test_a_region_gets_its_own_formats() -> None:
    text = "DNI 12345678Z, SSN 123-45-6789, NINO AB 12 34 56 C"
    assert _ids(text, profile(national_ids.for_jurisdiction("EEA"))) == ["12345678Z"]
    assert _ids(text, profile(national_ids.for_jurisdiction("us"))) == ["123-45-6789"]
    assert _ids(text, profile(national_ids.for_jurisdiction("UK"))) == ["AB 12 34 56 C"]
    assert _ids(text, profile(national_ids.for_jurisdiction("local"))) == [
        "12345678Z",
        "123-45-6789",
        "AB 12 34 56 C",
    ]


def test_a_french_nir_is_not_taken_for_a_card_or_phone_number() -> None:
    found = find("NIR 184127645108946 on file", EVERY)
    assert [(f.kind, f.end - f.start) for f in found] == [(Kind.NATIONAL_ID, 15)]
