"""National identity numbers of the regions Tutela serves, each with its own check where one exists.

    Spain     DNI (8 digits + check letter, mod 23) and NIE (X/Y/Z + 7 digits + check letter)
    Italy     codice fiscale (16 characters, odd/even check character; omocodia letters accepted)
    France    NIR, the social security number (13 digits + 2-digit key, 97 - n mod 97; Corsica 2A/2B)
    Netherlands BSN (9 digits, the "11-proof"), only after a word naming it: a random 9-digit number
              passes the 11-proof one time in eleven
    Germany   Steuer-Identifikationsnummer (11 digits, ISO 7064 MOD 11,10, one digit repeated)
    US        Social Security number (AAA-GG-SSSS with separators; area not 000, 666 or 9xx, group not 00,
              serial not 0000); no checksum exists
    UK        National Insurance number (two letters, six digits, A-D; the excluded prefixes refused)

A region's `jurisdiction` picks the set: EEA/EU the five European ones, US the SSN, UK the NINO; any other
jurisdiction (`local`, say) gets them all, so nothing is missed for want of a setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from tutela.gateway.pii.detectors import Finding, Kind

Detector = Callable[[str], Iterator[Finding]]

_DNI = re.compile(r"(?<![\w-])([XYZ]|\d)(\d{7})[ -]?([A-Z])(?![\w-])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_OMO = "[0-9LMNPQRSTUV]"
_CODICE = re.compile(rf"(?<!\w)[A-Z]{{6}}{_OMO}{{2}}[A-EHLMPRST]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z](?!\w)")
# The value of each character in an odd (1st, 3rd…) position; in even positions digits count as themselves
# and letters as A=0 … Z=25.
_CODICE_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (
            *(1, 0, 5, 7, 9, 13, 15, 17, 19, 21),  # 0-9
            *(1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        ),
        strict=True,
    )
)
_NIR = re.compile(
    r"(?<![\w-])[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?(\d{2})"
    r"(?![\w-]|[.,]\d)"
)
_BSN = re.compile(
    r"(?i:\b(?:bsn|burgerservicenummer|sofinummer|sofi-nummer)\b(?:[\s:.#-]{0,4}(?:nr\.?|nummer|number|is))?)"
    r"[\s:.#-]{0,4}"
    r"(\d{4}\.?\d{2}\.?\d{3}|\d{9})(?![\w-]|[.,]\d)"
)
_STEUER_ID = re.compile(r"(?<![\w.,-])([1-9]\d) ?(\d{3}) ?(\d{3}) ?(\d{3})(?![\w-]|[.,]\d)")
_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-]|[.,]\d)")
_NINO = re.compile(r"(?<!\w)([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?!\w)")
_NINO_NOT = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def dni_is_valid(value: str) -> bool:
    """Whether a Spanish DNI or NIE (separators allowed) carries the right check letter."""
    m = _DNI.fullmatch(value.upper())
    if m is None:
        return False
    head = str("XYZ".index(m.group(1))) if m.group(1) in "XYZ" else m.group(1)
    return _DNI_LETTERS[int(head + m.group(2)) % 23] == m.group(3)


def codice_fiscale_is_valid(value: str) -> bool:
    """Whether an Italian codice fiscale's 16th character is its check character."""
    if _CODICE.fullmatch(value) is None:
        return False
    total = 0
    for i, char in enumerate(value[:15]):
        total += _CODICE_ODD[char] if i % 2 == 0 else (int(char) if char.isdigit() else ord(char) - 65)
    return chr(65 + total % 26) == value[15]


def nir_is_valid(value: str) -> bool:
    """Whether a French NIR's last two digits are its key (Corsica's 2A and 2B counted as 19 and 18)."""
    compact = value.replace(" ", "")
    if len(compact) != 15:
        return False
    body = compact[:13].replace("2A", "19").replace("2B", "18")
    return body.isdigit() and 97 - int(body) % 97 == int(compact[13:])


def bsn_is_valid(digits: str) -> bool:
    """Whether nine digits pass the Dutch 11-proof."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total % 11 == 0


def steuer_id_is_valid(digits: str) -> bool:
    """Whether eleven digits are a German tax id: ISO 7064 MOD 11,10, one digit repeated in the first ten."""
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return False
    counts = sorted((digits[:10].count(d) for d in set(digits[:10])), reverse=True)
    if counts[0] not in (2, 3) or any(c > 1 for c in counts[1:]):
        return False
    product = 10
    for char in digits[:10]:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    return (11 - product) % 10 == int(digits[10])


def ssn_is_valid(area: str, group: str, serial: str) -> bool:
    """Whether a US Social Security number's parts are ones the SSA issues."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _spanish(text: str) -> Iterator[Finding]:
    for m in _DNI.finditer(text):
        if dni_is_valid(m.group()):
            yield Finding(m.start(), m.end(), Kind.NATIONAL_ID)


def _italian(text: str) -> Iterator[Finding]:
    for m in _CODICE.finditer(text):
        if codice_fiscale_is_valid(m.group()):
            yield Finding(m.start(), m.end(), Kind.NATIONAL_ID)


def _french(text: str) -> Iterator[Finding]:
    for m in _NIR.finditer(text):
        if nir_is_valid(m.group()):
            yield Finding(m.start(), m.end(), Kind.NATIONAL_ID)


def _dutch(text: str) -> Iterator[Finding]:
    for m in _BSN.finditer(text):
        if bsn_is_valid(m.group(1).replace(".", "")):
            yield Finding(m.start(1), m.end(1), Kind.NATIONAL_ID)


def _german(text: str) -> Iterator[Finding]:
    for m in _STEUER_ID.finditer(text):
        if steuer_id_is_valid("".join(m.groups())):
            yield Finding(m.start(), m.end(), Kind.NATIONAL_ID)


def _american(text: str) -> Iterator[Finding]:
    for m in _SSN.finditer(text):
        if ssn_is_valid(m.group(1), m.group(3), m.group(4)):
            yield Finding(m.start(), m.end(), Kind.NATIONAL_ID)


def _british(text: str) -> Iterator[Finding]:
    for m in _NINO.finditer(text):
        if m.group(1) not in _NINO_NOT:
            yield Finding(m.start(), m.end(), Kind.NATIONAL_ID)


EUROPEAN: tuple[Detector, ...] = (_spanish, _italian, _french, _dutch, _german)
BY_JURISDICTION: dict[str, tuple[Detector, ...]] = {
    "EEA": EUROPEAN,
    "EU": EUROPEAN,
    "US": (_american,),
    "UK": (_british,),
    "GB": (_british,),
}
EVERY: tuple[Detector, ...] = (*EUROPEAN, _american, _british)


def for_jurisdiction(jurisdiction: str) -> tuple[Detector, ...]:
    """The national id detectors of a region's jurisdiction (all of them for one not listed)."""
    return BY_JURISDICTION.get(jurisdiction.strip().upper(), EVERY)
