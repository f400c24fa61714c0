"""The key-term fallback: a sentence's rarest content word, in any alphabetic script, with word distractors.

When a sentence has no figure, acronym, name or recurring phrase (a poem, an Arabic text, a text in
lowercase), the word to ask about is its most characteristic content word: not a function word, at least
four letters, written in one script (a word mixing scripts is a font-encoding artefact), rare in the
document and long. Its wrong options are other content words of the same document in the same script,
of about the same length and, where possible, the same ending (an inflection class) and case. Chinese,
Japanese, Thai and a few other scripts are written without spaces between words, so without a segmenter
their text has no words to pick here.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from tutela.gateway.providers.extractive.corpus import Corpus
from tutela.gateway.providers.extractive.distractors import KeyTerm, occurrences, related
from tutela.gateway.providers.extractive.statements import MARKS
from tutela.gateway.providers.extractive.stopwords import STOPWORDS, stopwords
from tutela.gateway.providers.extractive.terms import NOUNISH, VERBISH, fold

KIND = "word"
_MIN_LETTERS = 4
_MAX_LETTERS = 24
_SHORTLIST = 6
_LETTER = rf"(?:[^\W\d_]|[{MARKS}])"
_WORD = re.compile(rf"{_LETTER}+(?:['’-]{_LETTER}+)*")
_UNSPACED_SCRIPTS = frozenset(["CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"])
_TATWEEL = "\u0640"

# English prepositions and adverbs the engine's stopword list leaves out, since terms never contain them.
_ENGLISH_WORDS = """
    above across along alongside among amongst around away back behind beside besides beyond down enough
    inside near nearly onto outside past quite really round still toward towards underneath unless
    whenever wherever almost already always never perhaps maybe again something anything nothing
    everything someone anyone everyone somewhere anywhere everywhere
"""
_FUNCTION_WORDS = STOPWORDS["ar"] | frozenset(_ENGLISH_WORDS.split())


def _plain(word: str) -> str:
    """A word without combining marks and tatweel, case-folded: the form function words are listed in."""
    kept = (c for c in word if not unicodedata.category(c).startswith("M") and c != _TATWEEL)
    return "".join(kept).casefold()


def script(word: str) -> str | None:
    """Return the script of a word's letters ("LATIN", "ARABIC", ...), or None if it mixes scripts."""
    names = {unicodedata.name(c, "?").split(" ")[0] for c in word if c.isalpha()}
    return names.pop() if len(names) == 1 else None


def content_words(text: str, stop: frozenset[str]) -> list[str]:
    """Return the content words of a text as written: no function words, no mixed or unspaced scripts."""
    found = []
    for m in _WORD.finditer(text):
        word = m[0]
        letters = sum(c.isalpha() for c in word)
        if not _MIN_LETTERS <= letters <= _MAX_LETTERS:
            continue
        plain = _plain(word)
        kind = script(word)
        if plain in stop or plain in _FUNCTION_WORDS or kind is None or kind in _UNSPACED_SCRIPTS:
            continue
        found.append(word)
    return found


def _starts(word: str, text: str) -> bool:
    """Tell whether a word is the first word of a text."""
    first = _WORD.search(text)
    return first is not None and first[0] == word


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    script: str


class Vocabulary:
    """The content words of a corpus's usable sentences, with the number of sentences each occurs in.

    A word seen only at the start of a sentence or line is left out of the wrong options: its capital
    there says nothing about how it is written inside a sentence.
    """

    def __init__(self, corpus: Corpus) -> None:
        self.stop = stopwords(corpus.language)
        self.english = corpus.language == "en"
        df: Counter[str] = Counter()
        surface: dict[str, str] = {}
        for i in corpus.usable:
            text = corpus.sentences[i].text
            found = content_words(text, self.stop)
            for word in found:
                if not _starts(word, text):
                    surface.setdefault(fold(word), word)
            df.update({fold(word) for word in found})
        self.sentences = max(len(corpus.usable), 1)
        self.df = df
        self.words = {key: _Word(text, script(text) or "") for key, text in surface.items()}

    def rarity(self, word: str) -> float:
        """Return the inverse sentence frequency of a word: rarer words say more about their sentence."""
        return math.log((1 + self.sentences) / (1 + self.df[fold(word)]))

    def likeliness(self, word: str) -> float:
        """Return how likely a word names a thing rather than an action or a manner (English endings)."""
        if not self.english:
            return 0.0
        folded = word.casefold()
        noun = 0.4 if NOUNISH.search(folded) else 0.0
        verb = 0.8 if VERBISH.search(folded) else 0.0
        return noun - verb

    def distractors(self, answer: str, sentence: str, rng: random.Random, n: int = 3) -> tuple[str, ...]:
        """Pick up to n words in the answer's script, absent from the sentence and unlike each other."""
        present = {fold(w) for w in _WORD.findall(sentence)}
        kind = script(answer)
        capital = answer[:1].isupper()
        pool = []
        for key, other in self.words.items():
            if other.script != kind or key in present or related(other.text, answer):
                continue
            score = -abs(len(other.text) - len(answer)) / 4
            score += 1.0 if _plain(other.text)[-2:] == _plain(answer)[-2:] else 0.0
            score += 0.5 if other.text[:1].isupper() == capital else 0.0
            pool.append((score, other.text))
        pool.sort(key=lambda item: (-item[0], item[1]))
        shortlist = [text for _, text in pool[:_SHORTLIST]]
        rng.shuffle(shortlist)
        chosen: list[str] = []
        for text in shortlist:
            if not any(related(text, c) for c in chosen):
                chosen.append(text)
            if len(chosen) == n:
                break
        return tuple(chosen)


def key_word(corpus: Corpus, vocabulary: Vocabulary, index: int, rng: random.Random) -> KeyTerm | None:
    """Choose the rarest, longest content word that occurs in a sentence exactly once, with distractors."""
    text = corpus.sentences[index].text
    all_words = [fold(w) for w in _WORD.findall(text)]
    ranked: list[tuple[float, str]] = []
    for word in dict.fromkeys(content_words(text, vocabulary.stop)):
        key = fold(word)
        # Once, and not inside another word either: the blanked sentence must not show the answer.
        if fold(text).count(key) != 1 or len(occurrences(word, text)) != 1:
            continue
        # An inflected second occurrence ("river ... rivers") would give the blanked answer away.
        if sum(w.startswith(key[:5]) or key.startswith(w[:5]) for w in all_words if len(w) >= 4) > 1:
            continue
        first = _starts(word, text)  # a capital that only starts the sentence would stand out in options
        score = vocabulary.rarity(word) + vocabulary.likeliness(word) + 0.1 * min(len(word), 12)
        score -= 0.5 if first else 0.0
        ranked.append((score, word))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    for _, word in ranked[:3]:
        wrong = vocabulary.distractors(word, text, rng)
        if wrong:
            return KeyTerm(word, KIND, wrong)
    return None
