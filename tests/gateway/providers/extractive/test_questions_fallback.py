"""Questions without a parse (languages other than English): fewer kinds, none of them broken.

Regression tests for what a reviewer found in the key-term questions on a translated manual and a German
lecture script: swapped nouns, names and acronyms in "false" statements read as word salad ("mindestens 14
Anzahl", "distribution officielle de Access"), English passages left in a French manual were asked about
in French, and a lowercase word run ("pouvez effectuer") was blanked as if it were a term.
"""

from __future__ import annotations

import re

from tests.gateway.providers.extractive.grounding import grounded_questions
from tests.gateway.providers.extractive.test_extractive_languages import FRENCH
from tutela.gateway.providers.extractive.stopwords import in_language

_TRUE_FALSE = re.compile(r"^[^?؟]*[?؟] ")  # "Richtig oder falsch? ", "Vrai ou faux ? "
ENGLISH_LEFT_IN = "The boot loader is the second stage of the boot process which is started by the firmware."
GERMAN = (
    "Ein topologischer Raum ist eine Menge zusammen mit einer Familie offener Teilmengen. "
    "Eine Metrik ist eine Abbildung, die je zwei Punkten einen nichtnegativen Abstand zuordnet. "
    "Für eine Triangulierung des Torus werden mindestens 14 Dreiecke benötigt. "
    "Der euklidische Raum ist das wichtigste Beispiel eines vollständigen Raumes. "
    "Der Begriff der Kompaktheit wurde um 1920 von Paul Alexandroff und Pawel Urysohn geprägt. "
    "Beweis: ist technisch mühsam und wird hier nicht geführt. "
    "Die Sphäre ist eine kompakte Fläche ohne Rand. "
    "Der Torus hat die Euler-Charakteristik null."
)


def test_a_false_statement_without_a_parse_swaps_only_a_figure() -> None:
    checked = 0
    for text, language in ((GERMAN, "de"), (FRENCH, "fr")):
        for q in grounded_questions(text, language, "Write 8 questions."):
            false = q.type == "true_false" and q.answer == ["false"]
            statements = [_TRUE_FALSE.sub("", q.stem, count=1)] if false else []
            statements += [o for o in q.options if o not in q.answer] if q.type == "multiple_choice" else []
            for statement in statements:
                source = next(s for s in re.split(r"(?<=\.) ", text) if _skeleton(s) == _skeleton(statement))
                assert source != statement and re.search(r"\d", source), (statement, source)
                checked += 1
    assert checked >= 2  # both texts have figures to swap


def test_labels_and_english_passages_of_another_language_are_not_asked_about() -> None:
    assert not in_language(ENGLISH_LEFT_IN, "fr") and in_language(FRENCH.split(". ")[0], "fr")
    for q in grounded_questions(FRENCH + " " + ENGLISH_LEFT_IN, "fr", "Write 10 questions."):
        assert "boot" not in q.citation.quote, q
    for q in grounded_questions(GERMAN, "de", "Write 8 questions."):
        assert not q.citation.quote.startswith("Beweis:"), q


def _skeleton(sentence: str) -> str:
    """A sentence with its figures masked: a figure swap keeps the skeleton."""
    return re.sub(r"\d+", "#", sentence)
