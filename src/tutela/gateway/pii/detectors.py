"""Finding personal data in text: e-mail addresses, phone numbers, IBANs and payment card numbers here;
national id numbers (national_ids.py) and person names (names.py) are detectors of the same shape.

Each detector is a pattern plus a check that keeps look-alikes out: IBANs must pass ISO 7064 mod-97, card
numbers the Luhn checksum, and phone numbers need a leading ``+``/``00``, a national trunk ``0`` or the North
American 3-3-4 grouping, with 9 to 15 digits, so dates, version numbers and amounts stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a placeholder stands for; its value names the placeholder (``<EMAIL_1>``)."""

    EMAIL = "EMAIL"
    PHONE = "PHONE"
    IBAN = "IBAN"
    CARD = "CARD"
    NATIONAL_ID = "NATIONAL_ID"
    PERSON = "PERSON"


@dataclass(frozen=True)
class Finding:
    """One detected value: where it is in the text and what it is."""

    start: int
    end: int
    kind: Kind


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
# Printed in groups of four (``DE89 3704 0044 0532 0130 00``) or unbroken.
_IBAN = re.compile(
    r"(?<![\w])[A-Z]{2}\d{2}(?:(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?|[A-Z0-9]{11,30})(?!\w)"
)
_CARD = re.compile(r"(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w-]|[.,]\d)")
_PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(0?\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}(?![\w-]|[.,]\d)"
)
_PHONE_NATIONAL = re.compile(
    r"(?<![\w.,/+-])(?:\(0\d{1,5}\)|0\d{1,5})(?:[ /-]?\d{2,8}){1,4}(?![\w-]|[.,/]\d)"
)
_PHONE_NANP = re.compile(
    r"(?<![\w.,/+-])(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}(?![\w-]|[.,/]\d)"
)
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def iban_is_valid(candidate: str) -> bool:
    """Whether ``candidate`` (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def luhn_is_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _emails(text: str) -> Iterator[Finding]:
    if "@" not in text:  # most texts: skip the scan
        return
    for m in _EMAIL.finditer(text):
        yield Finding(m.start(), m.end(), Kind.EMAIL)


def _ibans(text: str) -> Iterator[Finding]:
    for m in _IBAN.finditer(text):
        # The pattern may take a following word in capitals as a last group: drop groups until valid.
        value = m.group()
        while value and not iban_is_valid(value):
            head, _, _ = value.rpartition(" ")
            value = head
        if value:
            yield Finding(m.start(), m.start() + len(value), Kind.IBAN)


def _cards(text: str) -> Iterator[Finding]:
    for m in _CARD.finditer(text):
        value = m.group()
        separators = {c for c in value if not c.isdigit()}
        if len(separators) <= 1 and luhn_is_valid(_digits(value)):
            yield Finding(m.start(), m.end(), Kind.CARD)


def _phones(text: str) -> Iterator[Finding]:
    for pattern in (_PHONE_INTERNATIONAL, _PHONE_NATIONAL, _PHONE_NANP):
        for m in pattern.finditer(text):
            value = m.group()
            if 9 <= len(_digits(value)) <= 15 and not _DATE_LIKE.match(value):
                yield Finding(m.start(), m.end(), Kind.PHONE)


Detector = Callable[[str], Iterator[Finding]]
# Order is priority where findings overlap: checksummed kinds first, phone numbers last. `profile` puts
# national ids between IBANs and cards, and person names after phone numbers.
DETECTORS: tuple[Detector, ...] = (_emails, _ibans, _cards, _phones)


def profile(
    national_ids: tuple[Detector, ...] = (), names: tuple[Detector, ...] = ()
) -> tuple[Detector, ...]:
    """The detectors in priority order, with a region's national ids and the name detectors."""
    return (_emails, _ibans, *national_ids, _cards, _phones, *names)


def find(text: str, detectors: tuple[Detector, ...] = DETECTORS) -> list[Finding]:
    """Non-overlapping findings in text order; where two overlap, the earlier detector wins.

    Text shaped like an IBAN that fails its checksum is nobody's card or phone number either.
    """
    taken: list[tuple[int, int]] = [m.span() for m in _IBAN.finditer(text)]
    found: list[Finding] = []
    for detector in detectors:
        for finding in detector(text):
            if finding.kind is Kind.IBAN or all(finding.end <= s or finding.start >= e for s, e in taken):
                taken.append((finding.start, finding.end))
                found.append(finding)
    return sorted(found, key=lambda f: f.start)
