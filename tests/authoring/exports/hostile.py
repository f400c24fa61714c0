"""A module whose questions carry everything a format must escape: GIFT's control characters, XML entities,
HTML, right-to-left text, emoji, very long options, line breaks and Moodle's `*` wildcard."""

from __future__ import annotations

from tutela.authoring.generation.schemas import Module

LONG = " ".join(["very long option"] * 60)
CITATION = {"page": 7, "quote": 'Ampersands & <tags> and "quotes" {braces} ~tilde =equals #hash: colon'}


def hostile_module() -> Module:
    """One question of each type, each full of hostile text."""
    questions = [
        {
            "type": "single_choice",
            "stem": "Which {one} is = ~right #1: <script>alert('x')</script> & \\ backslash?",
            "options": ["A. looks like Aiken", "b \\ {c} = ~d", LONG, "שלום עולם \u202e RTL"],
            "answer": ["b \\ {c} = ~d"],
        },
        {
            "type": "multiple_choice",
            "stem": "مرحبا بالعالم: pick the two 😀 right ones\nsecond line of the stem",
            "options": ["<b>bold</b>", "ümlaut & co", "#not a comment", "::not a title::"],
            "answer": ["<b>bold</b>", "#not a comment"],
        },
        {
            "type": "true_false",
            "stem": "Is 1 < 2 && 3 > 2?\n\nA paragraph after a blank line.",
            "options": ["true", "false"],
            "answer": ["true"],
        },
        {
            "type": "fill_in_blank",
            "stem": 'The {sky} is _____ at noon: it\'s "true".',
            "options": [],
            "answer": ["blue*", "azure & cyan"],
        },
        {
            "type": "short_answer",
            "stem": "Name the 🐍 language = ~ # { } :",
            "options": [],
            "answer": ["Python", "CPython {3}"],
        },
    ]
    return Module.model_validate(
        {
            "title": "Hostile <module> & friends",
            "language": "en",
            "chapters": [
                {"title": "c", "lessons": [{"title": "l", "content": "x", "citations": [CITATION]}]}
            ],
            "summary": "",
            "questions": [
                {**q, "explanation": f"Because of {{this}} & <that> #{n}.", "citation": CITATION}
                for n, q in enumerate(questions, start=1)
            ],
        }
    )
