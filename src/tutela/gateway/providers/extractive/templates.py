"""Tutela's own fixed wording around extracted text (question stems, explanations, page names).

One table per document language (ISO 639-1): English, German, French, Spanish, Italian, Portuguese, Dutch
and Arabic. A document in any other language, or of unknown language ("und"), is worded in English. The
short-answer stems of the languages without definition patterns (terms.py reads English and German ones)
quote the subject instead of conjugating a verb, so that they read well whatever the subject is.
"""

from __future__ import annotations

_NBSP = "\u00a0"  # French puts a no-break space inside « » and before : ? !

TEMPLATES: dict[str, dict[str, str]] = {
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
        "pages": "Seiten {first}–{last}",
        "page": "Seite {first}",
    },
    "fr": {
        "fill_in_blank": f"Complétez le texte à trous{_NBSP}: {{cloze}}",
        "single_choice": f"Quelle option complète l’énoncé{_NBSP}? {{cloze}}",
        "true_false": f"Vrai ou faux{_NBSP}? {{statement}}",
        "multiple_choice_topic": (
            f"Lesquels de ces énoncés sur «{_NBSP}{{topic}}{_NBSP}» sont vrais selon la source{_NBSP}?"
        ),
        "multiple_choice_page": (
            f"Lesquels de ces énoncés de la page {{page}} sont vrais selon la source{_NBSP}?"
        ),
        "short_is": f"Qu’est-ce que «{_NBSP}{{subject}}{_NBSP}»{_NBSP}?",
        "short_refers": f"Que désigne «{_NBSP}{{subject}}{_NBSP}»{_NBSP}?",
        "short_called": f"Comment appelle-t-on «{_NBSP}{{subject}}{_NBSP}»{_NBSP}?",
        "short_called_if": (
            f"Dans quel cas parle-t-on de «{_NBSP}{{term}}{_NBSP}» pour «{_NBSP}{{subject}}{_NBSP}»{_NBSP}?"
        ),
        "explain": f"La source dit{_NBSP}: «{_NBSP}{{sentence}}{_NBSP}»",
        "explain_false": f"Faux. La source dit{_NBSP}: «{_NBSP}{{sentence}}{_NBSP}»",
        "pages": "Pages {first} à {last}",
        "page": "Page {first}",
    },
    "es": {
        "fill_in_blank": "Complete el espacio en blanco: {cloze}",
        "single_choice": "¿Qué opción completa la afirmación? {cloze}",
        "true_false": "¿Verdadero o falso? {statement}",
        "multiple_choice_topic": (
            "¿Cuáles de estas afirmaciones sobre «{topic}» son verdaderas según la fuente?"
        ),
        "multiple_choice_page": (
            "¿Cuáles de estas afirmaciones de la página {page} son verdaderas según la fuente?"
        ),
        "short_is": "¿Qué es «{subject}»?",
        "short_refers": "¿A qué se refiere «{subject}»?",
        "short_called": "¿Cómo se llama «{subject}»?",
        "short_called_if": "¿En qué caso se dice que «{subject}» es «{term}»?",
        "explain": "La fuente dice: «{sentence}»",
        "explain_false": "Falso. La fuente dice: «{sentence}»",
        "pages": "Páginas {first}–{last}",
        "page": "Página {first}",
    },
    "it": {
        "fill_in_blank": "Completa lo spazio vuoto: {cloze}",
        "single_choice": "Quale opzione completa l’affermazione? {cloze}",
        "true_false": "Vero o falso? {statement}",
        "multiple_choice_topic": "Quali di queste affermazioni su «{topic}» sono vere secondo la fonte?",
        "multiple_choice_page": (
            "Quali di queste affermazioni della pagina {page} sono vere secondo la fonte?"
        ),
        "short_is": "Che cos’è «{subject}»?",
        "short_refers": "A che cosa si riferisce «{subject}»?",
        "short_called": "Come si chiama «{subject}»?",
        "short_called_if": "Quando si dice che «{subject}» è «{term}»?",
        "explain": "La fonte dice: «{sentence}»",
        "explain_false": "Falso. La fonte dice: «{sentence}»",
        "pages": "Pagine {first}–{last}",
        "page": "Pagina {first}",
    },
    "pt": {
        "fill_in_blank": "Preencha a lacuna: {cloze}",
        "single_choice": "Que opção completa a afirmação? {cloze}",
        "true_false": "Verdadeiro ou falso? {statement}",
        "multiple_choice_topic": "Quais destas afirmações sobre “{topic}” são verdadeiras segundo a fonte?",
        "multiple_choice_page": "Quais destas afirmações da página {page} são verdadeiras segundo a fonte?",
        "short_is": "O que é “{subject}”?",
        "short_refers": "A que se refere “{subject}”?",
        "short_called": "Como se chama “{subject}”?",
        "short_called_if": "Quando se diz que “{subject}” é “{term}”?",
        "explain": "A fonte diz: “{sentence}”",
        "explain_false": "Falso. A fonte diz: “{sentence}”",
        "pages": "Páginas {first}–{last}",
        "page": "Página {first}",
    },
    "nl": {
        "fill_in_blank": "Vul de open plek in: {cloze}",
        "single_choice": "Welke optie maakt de bewering compleet? {cloze}",
        "true_false": "Waar of niet waar? {statement}",
        "multiple_choice_topic": "Welke van deze beweringen over “{topic}” zijn volgens de bron juist?",
        "multiple_choice_page": "Welke van deze beweringen van pagina {page} zijn volgens de bron juist?",
        "short_is": "Wat is “{subject}”?",
        "short_refers": "Waar verwijst “{subject}” naar?",
        "short_called": "Hoe heet “{subject}”?",
        "short_called_if": "Wanneer heet “{subject}” “{term}”?",
        "explain": "De bron zegt: “{sentence}”",
        "explain_false": "Onwaar. De bron zegt: “{sentence}”",
        "pages": "Pagina’s {first}–{last}",
        "page": "Pagina {first}",
    },
    "ar": {
        "fill_in_blank": "املأ الفراغ: {cloze}",
        "single_choice": "أي خيار يكمل العبارة؟ {cloze}",
        "true_false": "صواب أم خطأ؟ {statement}",
        "multiple_choice_topic": "أي هذه العبارات عن «{topic}» صحيحة وفقًا للمصدر؟",
        "multiple_choice_page": "أي هذه العبارات من الصفحة {page} صحيحة وفقًا للمصدر؟",
        "short_is": "ما المقصود بـ«{subject}»؟",
        "short_refers": "إلى ماذا يشير «{subject}»؟",
        "short_called": "ما اسم «{subject}»؟",
        "short_called_if": "متى يسمى «{subject}» «{term}»؟",
        "explain": "يقول المصدر: «{sentence}»",
        "explain_false": "خطأ. يقول المصدر: «{sentence}»",
        "pages": "الصفحات {first}–{last}",
        "page": "الصفحة {first}",
    },
}

LANGUAGES = tuple(TEMPLATES)  # the languages Tutela's wording exists in

# Leading articles a sentence subject may start with, lower-cased when it stands inside a question (none
# that is also another word in English or German: "De Morgan", "As").
_LEADING_ARTICLES = """
    a an the ein eine einer der die das den dem des le la les un une el los las una il lo gli uno os uma
    het een
"""
_ARTICLES = frozenset(_LEADING_ARTICLES.split())


def say(language: str, key: str, **values: object) -> str:
    """Fill one of Tutela's templates in the document's language (English when there is none)."""
    table = TEMPLATES.get(language, TEMPLATES["en"])
    return table[key].format(**values)


def mid_sentence(subject: str) -> str:
    """Lower-case a leading article so a sentence subject can stand inside a question ("a trace tree")."""
    first, _, rest = subject.partition(" ")
    if first.casefold() in _ARTICLES and rest:
        return f"{first.casefold()} {rest}"
    return subject
