"""Questions, objectives and page names are worded in the document's language; English when it is unknown."""

from __future__ import annotations

import re
import string

import pytest

from tests.gateway.providers.extractive.grounding import grounded_questions
from tutela.authoring.generation import schemas
from tutela.gateway.providers.extractive import fill
from tutela.gateway.providers.extractive.stopwords import stopwords
from tutela.gateway.providers.extractive.templates import LANGUAGES, TEMPLATES, say
from tutela.gateway.wire.passages import Passage

FRENCH = (
    "Le cycle de l’eau décrit le parcours de l’eau entre les océans, l’atmosphère et les continents. "
    "Sous l’effet du Soleil, l’eau des océans s’évapore et monte dans l’atmosphère. "
    "En altitude, la vapeur d’eau se refroidit et forme des nuages. "
    "Les précipitations ramènent ensuite l’eau vers le sol sous forme de pluie ou de neige. "
    "Environ 97 pour cent de l’eau de la Terre se trouve dans les océans. "
    "Les glaciers du Groenland et de l’Antarctique stockent la plus grande partie de l’eau douce. "
    "Une partie de la pluie s’infiltre dans le sol et alimente les nappes phréatiques. "
    "Les rivières comme la Loire transportent l’eau des montagnes jusqu’à la mer. "
    "Les plantes rejettent aussi de la vapeur d’eau par la transpiration. "
    "Le géographe Élisée Reclus a décrit ce cycle dans un ouvrage publié en 1869."
)

SPANISH = (
    "La fotosíntesis es el proceso por el cual las plantas producen su propio alimento. "
    "Las hojas captan la luz del Sol gracias a un pigmento verde llamado clorofila. "
    "Con esa energía, la planta transforma el agua y el dióxido de carbono en glucosa. "
    "Durante el proceso se libera oxígeno a la atmósfera. "
    "Los bosques de la Amazonia producen una parte importante del oxígeno del planeta. "
    "Las algas del océano realizan cerca del 50 por ciento de la fotosíntesis de la Tierra. "
    "La glucosa se almacena en forma de almidón en las raíces y los frutos. "
    "Sin la fotosíntesis no existirían la mayoría de las cadenas alimentarias. "
    "El científico Jan Ingenhousz demostró en 1779 que las plantas necesitan luz para producir oxígeno. "
    "Hoy los agrónomos estudian la fotosíntesis para mejorar las cosechas de trigo y maíz."
)

# The fixed start of each question type's stem, and of an explanation, per language.
OPENINGS = {
    "fr": {
        "fill_in_blank": "Complétez le texte à trous",
        "single_choice": "Quelle option complète l’énoncé",
        "true_false": "Vrai ou faux",
        "multiple_choice": "Lesquels de ces énoncés",
    },
    "es": {
        "fill_in_blank": "Complete el espacio en blanco",
        "single_choice": "¿Qué opción completa la afirmación?",
        "true_false": "¿Verdadero o falso?",
        "multiple_choice": "¿Cuáles de estas afirmaciones",
    },
}
EXPLANATIONS = {
    "fr": ("La source dit", "Faux. La source dit"),
    "es": ("La fuente dice", "Falso. La fuente dice"),
}
ENGLISH_WORDING = re.compile(r"Fill in the blank|Which option|True or false|Which of these|The source says")


@pytest.mark.parametrize(("text", "language"), [(FRENCH, "fr"), (SPANISH, "es")])
def test_questions_are_worded_in_the_document_language_and_grounded(text: str, language: str) -> None:
    questions = grounded_questions(text, language, "Write 10 questions.")
    assert len(questions) >= 8
    openings = OPENINGS[language]
    assert {q.type for q in questions} >= {"fill_in_blank", "single_choice", "true_false", "multiple_choice"}
    for q in questions:
        assert not ENGLISH_WORDING.search(q.stem + q.explanation), q
        if q.type in openings:
            assert q.stem.startswith(openings[q.type]), q
        assert q.explanation.startswith(EXPLANATIONS[language]), q
        if q.type in ("fill_in_blank", "single_choice"):
            assert q.stem.count(schemas.BLANK) == 1


@pytest.mark.parametrize(
    ("text", "language", "objective"), [(FRENCH, "fr", "Expliquer"), (SPANISH, "es", "Explicar")]
)
def test_objectives_and_page_names_follow_the_document_language(
    text: str, language: str, objective: str
) -> None:
    # A topic the text comes back to, so that there is something to set an objective on.
    again = {"fr": "Le Groenland perd de la glace chaque été.", "es": "La Amazonia pierde bosque cada año."}
    passages = [Passage(page=1, text=f"{text} {again[language]}")]
    outline = schemas.ModuleOutline.model_validate(fill("module_outline", passages, language=language))
    assert outline.learning_objectives
    assert all(o.startswith(objective) for o in outline.learning_objectives)
    lesson = fill("lesson", passages, language=language)
    assert lesson["title"] == {"fr": "Page 1", "es": "Página 1"}[language]


def test_an_unknown_language_is_worded_in_english() -> None:
    assert say("und", "true_false", statement="X.") == "True or false? X."
    assert say("sv", "page", first=3) == "Page 3"
    # An unknown language keeps the engine's old function words: English and German together.
    assert stopwords("und") == stopwords("en") | stopwords("de")


def test_every_language_has_every_template_with_the_same_fields() -> None:
    assert set(LANGUAGES) == {"en", "de", "fr", "es", "it", "pt", "nl", "ar"}

    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    english = TEMPLATES["en"]
    for language in LANGUAGES:
        table = TEMPLATES[language]
        assert table.keys() == english.keys(), language
        for key, template in table.items():
            # Other languages may leave out the English verb ("What is X?"), never add a field.
            assert fields(template) <= fields(english[key]), (language, key)
            assert fields(template) - {"verb"} == fields(english[key]) - {"verb"}, (language, key)


@pytest.mark.parametrize("language", ["fr", "es", "it", "pt", "nl"])
def test_the_new_languages_have_their_own_function_words(language: str) -> None:
    words = stopwords(language)
    assert 150 <= len(words) <= 220
    assert words != stopwords("en") | stopwords("de")
