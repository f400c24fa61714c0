"""Sentences that need their neighbours: openers that lean on the sentence before, and pointers elsewhere.

A sentence that opens with a connective ("However,", "Also,") or a pointing word ("This", "They") says
something about the sentence before it; taken alone into a lesson it reads as a non sequitur. A sentence that
points to a figure, a table, another chapter or "see above" needs something a lesson does not carry.
"""

from __future__ import annotations

import re

_CONNECTIVES = {
    "en": "but also however and thus therefore so yet moreover furthermore hence then still nevertheless "
    "nonetheless instead besides otherwise accordingly consequently meanwhile likewise similarly "
    "additionally indeed or nor",
    "de": "aber auch doch jedoch und daher deshalb deswegen außerdem dann also trotzdem dennoch sondern "
    "oder zudem ebenso folglich somit damit",
    "fr": "mais aussi cependant et donc ainsi pourtant toutefois puis or néanmoins ensuite enfin alors "
    "car sinon également",
    "es": "pero también y además así pues entonces luego asimismo o igualmente",
}
# Not German "Sie"/"Ihr": at a sentence start they are as often the reader ("you") as a pronoun.
_POINTING = {
    "en": "he she it they this these that those his her its their such",
    "de": "er dies diese dieser dieses jene jener jenes sein seine dessen deren dort",
    "fr": "il elle ils elles ce cet cette ces celui celle ceux celles cela ça leur leurs son sa ses",
    "es": "él ella ellos ellas este esta estos estas ese esa esos esas eso esto su sus aquel aquella",
}
_OPENING_PHRASES = re.compile(
    r"^(for (example|instance)|in addition|on the other hand|as a result|in contrast|by contrast|"
    r"in this (way|case|paper|chapter|section)|at this point|the (latter|former)|de plus|par ailleurs|"
    r"en outre|par exemple|"
    r"sin embargo|por ejemplo|por (lo )?tanto|zum beispiel|im gegensatz dazu)\b",
    re.IGNORECASE,
)
# Pointing words that point nowhere: "There is", "It is possible to", "Il y a", "Es gibt".
_IMPERSONAL = re.compile(
    r"^(it (is|was) (\w+ )?(to|that|possible|necessary|important|clear|easy|hard|common|usual)\b|"
    r"il (y a|faut|existe|est (possible|nécessaire|important))|instead of\b|so that\b|such as\b)",
    re.IGNORECASE,
)
_ELSEWHERE = re.compile(
    r"\b(see (above|below)|as (shown|seen|described|noted|mentioned|discussed|illustrated) "
    r"(above|below|earlier|before|previously|in (table|figure|fig\.|section|chapter|listing))|"
    r"(in|see) (table|figure|fig\.|listing|abbildung|tabelle|abb\.) \d+|"
    r"(this|the following|the preceding|the previous|the above|the next) "
    r"(figure|table|example|listing|diagram)|"
    r"(figure|table|fig\.|listing) \d+[a-z]? (shows|illustrates|depicts|lists|gives|summarizes)|"
    r"(this|the following|the preceding|the previous|the next|the last) (chapter|section)|"
    r"the above|as above|above[- ](mentioned|named|described|indicated)|as follows|"
    r"ci-dessus|ci-dessous|siehe (oben|unten)|(wie )?oben (gezeigt|erwähnt|beschrieben)|"
    r"más arriba|más abajo|véase)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")


def _vocabulary(table: dict[str, str], language: str) -> frozenset[str]:
    return frozenset(table.get(language, table["en"]).split())


def leans_back(text: str, language: str) -> bool:
    """Whether a sentence opens by leaning on the one before it (a connective or a pointing word)."""
    opening = text.lstrip("\"'“„«([ ")
    if _IMPERSONAL.match(opening):
        return False
    if _OPENING_PHRASES.match(opening):
        return True
    first = _WORD.match(opening)
    if first is None:
        return False
    word = first.group(0).casefold()
    return word in _vocabulary(_CONNECTIVES, language) or word in _vocabulary(_POINTING, language)


def points_elsewhere(text: str) -> bool:
    """Whether a sentence refers to a figure, a table or another place ("see above") a lesson lacks."""
    return _ELSEWHERE.search(text) is not None
