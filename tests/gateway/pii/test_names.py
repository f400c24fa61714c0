"""Person names: the organization's own people, the census name lists with a title or a given name and a
surname, and the capitalised phrases that are not people."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.gateway.pii import names
from tutela.gateway.pii.detectors import Kind, find
from tutela.gateway.pii.profiles import detectors_for
from tutela.gateway.pii.pseudonyms import Pseudonyms, StreamRestorer
from tutela.gateway.pii.vault import Vault

STAFF = ["Grete Vandersloot", "Søren Kierkegaard-Olsen", "admin", "Support"]


def _people(text: str, staff: list[str] = STAFF) -> list[str]:
    return [text[f.start : f.end] for f in find(text, detectors_for("EEA", staff)) if f.kind is Kind.PERSON]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ask Grete Vandersloot today.", ["Grete Vandersloot"]),
        ("ask grete  VANDERSLOOT today", ["grete  VANDERSLOOT"]),  # any case, any spacing
        ("Søren Kierkegaard-Olsen signed.", ["Søren Kierkegaard-Olsen"]),
        ("Mary Johnson and Robert Smith met.", ["Mary Johnson", "Robert Smith"]),
        ("José García Márquez wrote it.", ["José García Márquez"]),
        ("John Q. Public filed it.", ["John Q. Public"]),
        ("Dear Dr Okonkwo, thanks.", ["Okonkwo"]),
        ("Ms. Ngozi Adichie will talk.", ["Ngozi Adichie"]),
    ],
)
def test_people_are_found(text: str, expected: list[str]) -> None:
    assert _people(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Will Power is a course title.",  # a given name that is mostly a word
        "Meet us in New York on Monday.",
        "The Support team and the admin answer.",  # one-word display names are not matched
        "Mark Down the price; May Day is a holiday.",
        "Python Software Foundation",
        "grete vanderslooting",  # part of a longer word
    ],
)
def test_capitalised_phrases_that_are_not_people(text: str) -> None:
    assert _people(text) == []


def test_a_person_is_one_placeholder_and_comes_back_through_a_stream() -> None:
    pseudonyms = Pseudonyms(Vault(org_id="org", request_id="req"), detectors_for("EEA", STAFF))
    sent = pseudonyms.pseudonymise("Grete Vandersloot met Mary Johnson; GRETE VANDERSLOOT paid.")
    assert sent == "<PERSON_1> met <PERSON_2>; <PERSON_1> paid."
    restorer = StreamRestorer(pseudonyms)
    answer = "".join(restorer.feed(sent[i : i + 3]) for i in range(0, len(sent), 3)) + restorer.flush()
    assert answer == "Grete Vandersloot met Mary Johnson; Grete Vandersloot paid."


def test_altered_name_lists_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = names._list_dir()
    for file in names._LISTS:
        (tmp_path / file).write_bytes((real / file).read_bytes())
    with (tmp_path / "dist.all.last").open("ab") as f:
        f.write(b"MALLORY        0.001  0.001  88800\n")
    monkeypatch.setattr(names, "_list_dir", lambda: tmp_path)
    monkeypatch.setattr(names, "_lists", None)
    with pytest.raises(names.NameListUnavailable, match="does not match its SHA-256") as refused:
        names.name_lists()
    assert refused.value.status_code == 503 and "reinstall Tutela" in refused.value.message
