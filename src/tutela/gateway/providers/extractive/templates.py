"""Tutela's own fixed wording around extracted text (question stems, objectives), in English and German."""

from __future__ import annotations

_TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "fill_in_blank": "Fill in the blank: {cloze}",
        "single_choice": "Which option completes the statement? {cloze}",
        "true_false": "True or false? {statement}",
        "multiple_choice_topic": "Which of these statements about {topic} are true according to the source?",
        "multiple_choice_page": (
            "Which of these statements from page {page} are true according to the source?"
        ),
        "short_is": "What {verb} {subject}?",
        "short_refers": "What does {subject} refer to?",
        "short_called": "What {verb} {subject} called?",
        "short_called_if": "When {verb} {subject} called {term}?",
        "explain": "The source says: “{sentence}”",
        "explain_false": "False. The source says: “{sentence}”",
        "objective_0": "Explain {term}.",
        "objective_1": "Describe the role of {term}.",
        "pages": "Pages {first}–{last}",
        "page": "Page {first}",
    },
    "de": {
        "fill_in_blank": "Ergänzen Sie die Lücke: {cloze}",
        "single_choice": "Welche Option vervollständigt die Aussage? {cloze}",
        "true_false": "Richtig oder falsch? {statement}",
        "multiple_choice_topic": "Welche dieser Aussagen über „{topic}“ sind laut Quelle richtig?",
        "multiple_choice_page": "Welche dieser Aussagen von Seite {page} sind laut Quelle richtig?",
        "short_is": "Was {verb} {subject}?",
        "short_refers": "Was bezeichnet {subject}?",
        "short_called": "Wie {verb} {subject}?",
        "short_called_if": "Wann {verb} {subject} {term}?",
        "explain": "Die Quelle sagt: „{sentence}“",
        "explain_false": "Falsch. Die Quelle sagt: „{sentence}“",
        "objective_0": "„{term}“ erklären können.",
        "objective_1": "Die Rolle von „{term}“ beschreiben können.",
        "pages": "Seiten {first}–{last}",
        "page": "Seite {first}",
    },
}

_ARTICLES = frozenset(["a", "an", "the", "ein", "eine", "einer", "der", "die", "das", "den", "dem", "des"])


def say(language: str, key: str, **values: object) -> str:
    """Fill one of Tutela's templates in the document's language (English when there is none)."""
    table = _TEMPLATES.get(language, _TEMPLATES["en"])
    return table[key].format(**values)


def mid_sentence(subject: str) -> str:
    """Lower-case a leading article so a sentence subject can stand inside a question ("a trace tree")."""
    first, _, rest = subject.partition(" ")
    if first.casefold() in _ARTICLES and rest:
        return f"{first.casefold()} {rest}"
    return subject
