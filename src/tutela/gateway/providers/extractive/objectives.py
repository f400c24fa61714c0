"""Learning objectives: observable outcomes about the document's central topics, worded from its sentences.

A central topic is a key term the document keeps coming back to: it recurs in several sentences and, when
the document has sections, in more than one of them (or names one); a word seen once, a number, or a name
from a code sample is none. Each topic gets the objective its sentences support, with a verb a learner can
be checked on:
- "Explain how trace trees record hot loops." when a sentence opens with the topic and a verb;
- "List the stages of compilation." when the document names the steps, stages or phases of the topic;
- "Compare X with Y." when a sentence sets the topic against another central topic;
- "Define X." when the document defines the topic.
A topic with none of these gets no objective: a vague one ("Explain X.") tells a learner nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tutela.gateway.providers.extractive.context import leans_back
from tutela.gateway.providers.extractive.corpus import Corpus
from tutela.gateway.providers.extractive.terms import NOUNISH, VERBISH, fold

MAX_OBJECTIVES = 6
_CLAUSE_WORDS = 12
_SHORTLIST = 80
_WORDING = {
    "en": {
        "how": "Explain how {clause}.",
        "steps": "List the {steps} of {term}.",
        "compare": "Compare {term} with {other}.",
        "define": "Define {term}.",
    },
    "de": {
        "how": "",  # a German "wie"-clause puts the verb last: not made from a main clause by reordering
        "steps": "Die {steps} von „{term}“ aufzählen können.",
        "compare": "„{term}“ mit „{other}“ vergleichen können.",
        "define": "Erklären können, was „{term}“ ist.",
    },
    "fr": {
        "how": "Expliquer comment {clause}.",
        "steps": "Expliquer les {steps} de «\u00a0{term}\u00a0».",
        "compare": "Expliquer la différence entre «\u00a0{term}\u00a0» et «\u00a0{other}\u00a0».",
        "define": "Expliquer ce qu’est «\u00a0{term}\u00a0».",
    },
    "es": {
        "how": "Explicar cómo {clause}.",
        "steps": "Explicar las {steps} de «{term}».",
        "compare": "Explicar la diferencia entre «{term}» y «{other}».",
        "define": "Explicar qué es «{term}».",
    },
}
_STEPS = {
    "en": r"(steps|stages|phases|parts|components|kinds|types)",
    "de": r"(Schritte|Phasen|Stufen|Teile|Arten)",
    "fr": r"(étapes|phases|parties|types)",
    "es": r"(pasos|etapas|fases|partes|tipos)",
}
_ENUMERATION = re.compile(
    r"^(?:The|the) (?P<kind>steps|stages|phases|parts|components) (?:of|in) "
    r"(?P<subject>(?:the )?[a-z][\w-]*(?: [a-z][\w-]*){0,3}) (?:are|include|consist)\b"
)
_CONTRAST = re.compile(
    r"\b(unlike|whereas|compared (to|with)|in contrast to|differs? from|rather than|im gegensatz zu|"
    r"anders als|contrairement à|par rapport à|a diferencia de|en comparación con)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"[,;:(]| (and|or|which|where|whereas|while|because|although|since|so that|if|when|as|than|"
    r"et|ou|dont|où|und|oder|y|o|donde|cuando)\b"
)
_CODE_LIKE = re.compile(r"[_/\\(){}\[\]=<>#$@`]|::|\.\w|\w\.\w|^[a-z]+[A-Z]")
_CODE_SENTENCE = re.compile(r"[{};=]|\(\)|::|->|\$ |#include|\bdef |\bfunction\b|\breturn\b")
_ARTICLES = frozenset(
    [
        "the",
        "a",
        "an",
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "el",
        "los",
        "las",
        "un",
        "una",
        "der",
        "die",
        "das",
        "ein",
        "eine",
    ]
)
_BE = frozenset(["is", "are", "was", "were", "est", "sont", "ist", "sind", "es", "son"])


@dataclass(frozen=True)
class _Topic:
    key: str
    text: str
    sentences: list[int]


def _mentions(corpus: Corpus, text: str) -> list[int]:
    """The usable sentences that name a term, at any position and in any case."""
    pattern = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)
    return [i for i in corpus.usable if pattern.search(corpus.sentences[i].text)]


def _topics(corpus: Corpus, headings: list[str]) -> list[_Topic]:
    """Key terms the whole document keeps coming back to, most central first."""
    sections = {corpus.sentences[i].section for i in corpus.usable}
    named = [fold(h) for h in headings]
    shortlist = sorted(
        (
            key
            for key, term in corpus.terms.items()
            if term.kind not in ("year", "percent", "number")
            and len(term.text) >= 4
            and not _CODE_LIKE.search(term.text)
        ),
        key=lambda key: (-corpus.weight(key) * len(corpus.terms[key].sections) * corpus.terms[key].df, key),
    )[:_SHORTLIST]
    ranked: list[tuple[float, str, _Topic]] = []
    for key in shortlist:
        term = corpus.terms[key]
        where = _mentions(corpus, term.text)
        code = sum(1 for i in where if _CODE_SENTENCE.search(corpus.sentences[i].text))
        if code > len(where) / 2:
            continue  # a name from a code sample
        in_heading = any(f" {key} " in f" {h} " for h in named)
        spread = len({corpus.sentences[i].section for i in where})
        if not in_heading and (len(where) < 2 or (len(sections) > 2 and spread < 2)):
            continue
        score = corpus.weight(key) * math.log(1 + len(where)) * (1 + spread) * (1.5 if in_heading else 1.0)
        ranked.append((score, term.text, _Topic(key, term.text, where)))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    topics: list[_Topic] = []
    for _, _, topic in ranked:
        mine = set(topic.key.split())
        if any(len(mine & set(t.key.split())) * 2 >= len(mine) for t in topics):
            continue  # "trace" or "trees record" when "trace trees" is already a topic
        topics.append(topic)
    return topics


def _how_clause(corpus: Corpus, topic: _Topic) -> str | None:
    """A short subject-verb clause from a sentence opening with the topic: "trace trees record hot loops"."""
    for i in topic.sentences:
        text = corpus.sentences[i].text
        if leans_back(text, corpus.language):
            continue
        tokens = text.rstrip(".!?").split()
        start = 1 if tokens and tokens[0].casefold() in _ARTICLES else 0
        size = len(topic.text.split())
        if fold(" ".join(tokens[start : start + size])) != topic.key or len(tokens) <= start + size:
            continue
        verb = tokens[start + size]
        following = tokens[start + size + 1] if start + size + 1 < len(tokens) else ""
        if not _verb_like(verb, following, corpus):
            continue
        clause = " ".join(tokens[: start + size + 1 + _CLAUSE_WORDS])
        head = _CLAUSE_END.split(clause, maxsplit=1)[0].strip()
        if len(head.split()) < start + size + 2 or len(head.split()) > start + size + _CLAUSE_WORDS:
            continue
        proper = corpus.terms[topic.key].kind in ("name", "acronym", "noun")
        return head if proper and not start else head[:1].lower() + head[1:]
    return None


def _verb_like(word: str, following: str, corpus: Corpus) -> bool:
    """Roughly, without a tagger: a lowercase word that is no function word and no noun by its ending; a
    form of "to be" only before a participle ("is recorded"), never before an article (a definition)."""
    if not (word.isalpha() and word.islower()):
        return False
    if word in _BE:
        return corpus.language == "en" and following.endswith("ed")
    if word in corpus.stop:
        return False
    return corpus.language != "en" or VERBISH.search(word) is not None or not NOUNISH.search(word)


def _steps(corpus: Corpus, topic: _Topic) -> str | None:
    pattern = re.compile(
        _STEPS.get(corpus.language, _STEPS["en"])
        + r" (of|in|von|de|del|des) (the |der |des |la |el )?"
        + re.escape(topic.text),
        re.IGNORECASE,
    )
    for i in topic.sentences:
        match = pattern.search(corpus.sentences[i].text)
        if match:
            return match.group(1).lower() if corpus.language != "de" else match.group(1)
    return None


def _enumerations(corpus: Corpus) -> list[tuple[str, str]]:
    """(steps, subject) of sentences that enumerate: "The stages of trace compilation are ..." (English)."""
    if corpus.language != "en":
        return []
    found: list[tuple[str, str]] = []
    for i in corpus.usable:
        match = _ENUMERATION.match(corpus.sentences[i].text)
        if match and (match["kind"].lower(), match["subject"]) not in found:
            found.append((match["kind"].lower(), match["subject"]))
    return found


def _contrast(corpus: Corpus, topic: _Topic, others: list[_Topic]) -> str | None:
    for i in topic.sentences:
        text = corpus.sentences[i].text
        if not _CONTRAST.search(text):
            continue
        for other in others:
            if other.key != topic.key and i in other.sentences:
                return other.text
    return None


def build_objectives(corpus: Corpus, headings: list[str]) -> list[str]:
    """Up to MAX_OBJECTIVES observable outcomes about the document's central topics."""
    wording = _WORDING.get(corpus.language, _WORDING["en"])
    topics = _topics(corpus, headings)
    defined = {fold(d.term) for d in corpus.definitions.values()}
    objectives = [wording["steps"].format(steps=k, term=t) for k, t in _enumerations(corpus)][:2]
    for topic in topics[: MAX_OBJECTIVES * 4]:
        clause = _how_clause(corpus, topic) if wording["how"] else None
        steps = _steps(corpus, topic)
        other = _contrast(corpus, topic, topics[: MAX_OBJECTIVES * 2])
        if clause:
            objective = wording["how"].format(clause=clause)
        elif steps:
            objective = wording["steps"].format(steps=steps, term=topic.text)
        elif other:
            objective = wording["compare"].format(term=topic.text, other=other)
        elif topic.key in defined:
            objective = wording["define"].format(term=topic.text)
        else:
            continue
        if objective not in objectives:
            objectives.append(objective)
    return objectives[:MAX_OBJECTIVES]
