"""Finding person names: the organization's own people, and names a list of given names and surnames knows.

Two detectors of kind ``PERSON``:

- ``directory_names(names)``: the display names of the organization's users, matched whole (any case,
  any run of spaces between the words). Single-word display names are left out: "Support" or "Admin"
  would take ordinary words with them.
- ``person_names``: a capitalised given name followed by a capitalised surname (an initial may sit between,
  a second surname may follow), where the given name is on the US Census 1990 list of given names and the
  surname on its list of surnames; or a title (Mr, Mrs, Ms, Dr, Prof…) followed by one or two capitalised
  words. The lists (5,123 given names once ordinary English words such as Will or May are left out,
  88,799 surnames; census data in the public domain) ship in the ``names`` package (MIT), are checked
  against their SHA-256 when first loaded, and nothing is downloaded.

Why a list and not the bundled spaCy model's entity recogniser: on a 1,000-character request it took
~140 ms on the reference machine, seventy times the gateway's whole overhead target; the lists take a few
hundred microseconds on a busy machine (benchmarks/bench_pii.py). The lists are English-centric (Hispanic
names are well covered, many European given names are not); the directory covers the organization's own
people whatever their origin.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from tutela.gateway.pii.detectors import Finding, Kind
from tutela.gateway.wire.exceptions import ModelUnavailableError

Detector = Callable[[str], Iterator[Finding]]

# SHA-256 of the census lists as shipped by names 0.3.0; a changed file is refused, not used.
_LISTS = {
    "dist.male.first": "0a5078ef6effe3b483d15b0f7f95047662126c9bfb624ecd5e5b978fc0f2470b",
    "dist.female.first": "bd2f310fc4e5d5e5ea122c9d4342c9821145823118eb20db1647f305ec77b358",
    "dist.all.last": "b0e2b3743ccbad641ca48b344c24cdebcd1d9a1f76dc6dbf05986f2919f0b4e1",
}
# Given names that are far more often ordinary English words at the start of a capitalised phrase.
_NOT_GIVEN = frozenset(
    re.findall(
        r"\w+",
        "AN AS AUGUST APRIL ART BILL BUDDY CHANCE CHRISTIAN DEAN DOLLY EARL ED FAITH GAY GRACE GUY HOPE IN "
        "JACK JOY JUNE JUSTICE KING LANE LONG MAJOR MARK MAY MILES MY NEAL NEW OUR PAGE PAT PRICE RICH ROSE "
        "SAGE SO STERLING SUMMER THE TO UNIQUE WILL WINTER",
    )
)
_TITLE = re.compile(
    r"(?<!\w)(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle|Sr|Sra|Sig|Sig\.ra)\.? "
    r"((?:[A-ZÀ-Þ][a-zß-ÿ]+(?:[-'’][A-ZÀ-Þ][a-zß-ÿ]+)?)(?: [A-ZÀ-Þ][a-zß-ÿ]+(?:[-'’][A-ZÀ-Þ][a-zß-ÿ]+)?)?)"
    r"(?![\w-])"
)
_WORD = re.compile(r"(?<![\w-])[A-ZÀ-Þ][a-zß-ÿ]+(?:[-'’][A-ZÀ-Þ][a-zß-ÿ]+)?(?![\w-])")
_INITIAL = re.compile(r" [A-Z]\. ")
_lock = threading.Lock()
_lists: tuple[frozenset[str], frozenset[str]] | None = None


class NameListUnavailable(ModelUnavailableError):
    """The shipped name lists are missing or altered: a pseudonymising deployment answers 503 until repaired
    (a request is never sent with the names left in)."""


def _key(word: str) -> str:
    """Upper case without accents (José → JOSE), as the census lists spell names."""
    if word.isascii():
        return word.upper()
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).upper()


def _list_dir() -> Path:
    spec = importlib.util.find_spec("names")
    if spec is None or not spec.submodule_search_locations:
        raise NameListUnavailable(
            "the person name lists are not installed (the 'names' package); reinstall Tutela"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def name_lists() -> tuple[frozenset[str], frozenset[str]]:
    """The given names and surnames, verified and loaded once per process."""
    global _lists
    with _lock:
        if _lists is None:
            directory = _list_dir()
            words: dict[str, set[str]] = {}
            for file, expected in _LISTS.items():
                data = (directory / file).read_bytes()
                if hashlib.sha256(data).hexdigest() != expected:
                    raise NameListUnavailable(
                        f"the person name list {directory / file} does not match its SHA-256 "
                        "(integrity check); "
                        "reinstall Tutela"
                    )
                words[file] = {line.split(" ", 1)[0] for line in data.decode("ascii").splitlines() if line}
            given = (words["dist.male.first"] | words["dist.female.first"]) - _NOT_GIVEN
            _lists = frozenset(given), frozenset(words["dist.all.last"])
        return _lists


def person_names(text: str) -> Iterator[Finding]:
    """Names the census lists know (given name + surname), and capitalised words after a title."""
    given, surnames = name_lists()
    for m in _TITLE.finditer(text):
        yield Finding(m.start(1), m.end(1), Kind.PERSON)
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words) - 1:
        first, second = words[i], words[i + 1]
        gap = text[first.end() : second.start()]
        if (
            (gap == " " or _INITIAL.fullmatch(gap))
            and _key(first.group()) in given
            and _key(second.group().split("-")[0]) in surnames
        ):
            end, i = second.end(), i + 2
            if i < len(words) and text[end : words[i].start()] == " " and _key(words[i].group()) in surnames:
                end, i = words[i].end(), i + 1  # a second surname (García Márquez)
            yield Finding(first.start(), end, Kind.PERSON)
            continue
        i += 1


def directory_names(display_names: Iterable[str]) -> Detector | None:
    """A detector of these people's full names (None when none has two words or more)."""
    wanted = sorted(
        {" ".join(n.split()) for n in display_names if len(n.split()) >= 2},
        key=len,
        reverse=True,
    )
    if not wanted:
        return None
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(r"\s+".join(map(re.escape, n.split())) for n in wanted) + r")(?![\w-])",
        re.IGNORECASE,
    )

    def found(text: str) -> Iterator[Finding]:
        for m in pattern.finditer(text):
            yield Finding(m.start(), m.end(), Kind.PERSON)

    return found
