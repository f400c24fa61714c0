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
from tutela.gateway.providers.extractive.stopwords import stopwords
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
_ADVERBS = frozenset(["always", "often", "never", "also", "only", "usually", "typically", "generally"])
# Present-tense endings of the third person in the languages whose word order keeps a "how" clause as is.
_PRESENT = {"fr": r"(e|ent|t|d)$", "es": r"(a|e|an|en)$"}
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
        if not in_heading and (len(where) < 2 or (len(sections) > 2 and spread < 2 and len(where) < 3)):
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


def _opening(corpus: Corpus, topic: _Topic) -> tuple[str, str] | None:
    """What a sentence opening with the topic supports: ("how", "trace trees record hot loops") when a verb
    follows it, ("define", "") when "is a ..." does; None when no sentence opens with it."""
    size = len(topic.key.split())
    for i in topic.sentences:
        text = corpus.sentences[i].text
        if leans_back(text, corpus.language):
            continue
        tokens = text.rstrip(".!?").split()
        folded = [fold(t) for t in tokens]
        # The topic among the first words, after an article or a modifier or two ("Modern mathematics").
        at = next((k for k in range(4) if " ".join(folded[k : k + size]) == topic.key), None)
        if at is None or not all(t.isalpha() for t in tokens[:at]):
            continue
        if any(f in corpus.stop and f not in _ARTICLES for f in folded[:at]):
            continue
        rest = at + size
        if rest < len(tokens) and folded[rest] in _ADVERBS:
            rest += 1
        if rest + 1 >= len(tokens):
            continue
        verb, following = tokens[rest], folded[rest + 1]
        if folded[rest] in _BE and following in _ARTICLES:
            return ("define", "")
        if not _verb_like(verb, following, corpus, plural=topic.key.endswith("s")):
            continue
        clause = " ".join(tokens[: rest + 1 + _CLAUSE_WORDS])
        head = _CLAUSE_END.split(clause, maxsplit=1)[0].strip()
        if not rest + 2 <= len(head.split()) <= rest + _CLAUSE_WORDS or _foreign(corpus, head):
            continue
        proper = at == 0 and corpus.terms[topic.key].kind in ("name", "acronym", "noun")
        return ("how", head if proper else head[:1].lower() + head[1:])
    return None


def _foreign(corpus: Corpus, clause: str) -> bool:
    """A clause in English inside a document in another language (an untranslated paragraph)."""
    if corpus.language == "en":
        return False
    tokens = [fold(t) for t in clause.split()]
    english = stopwords("en") - corpus.stop
    return sum(t in english for t in tokens) > sum(t in corpus.stop for t in tokens)


def _verb_like(word: str, following: str, corpus: Corpus, *, plural: bool) -> bool:
    """Roughly, without a tagger: a verb in the present tense agreeing with the topic; a form of "to be"
    only before a participle ("is recorded")."""
    if not (word.isalpha() and word.islower()) or (word in corpus.stop and word not in _BE):
        return False
    if word in _BE:
        return corpus.language == "en" and following.endswith("ed")
    if corpus.language != "en":
        return re.search(_PRESENT.get(corpus.language, "$^"), word) is not None
    if VERBISH.search(word):
        return True
    if word.endswith("s") and not word.endswith("ss"):
        return not plural and not NOUNISH.search(word[:-1])
    return plural and not NOUNISH.search(word)


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
        opening = _opening(corpus, topic)
        steps = _steps(corpus, topic)
        other = _contrast(corpus, topic, topics[: MAX_OBJECTIVES * 2])
        if opening is not None and opening[0] == "how" and wording["how"]:
            objective = wording["how"].format(clause=opening[1])
        elif steps:
            objective = wording["steps"].format(steps=steps, term=topic.text)
        elif other:
            objective = wording["compare"].format(term=topic.text, other=other)
        elif topic.key in defined or (opening is not None and opening[0] == "define"):
            objective = wording["define"].format(term=topic.text)
        else:
            continue
        if objective not in objectives:
            objectives.append(objective)
    return objectives[:MAX_OBJECTIVES]
