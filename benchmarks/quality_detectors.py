"""Automatic detectors for the defects a trainer finds in generated modules (issue 11), one per class.

Each detector reads plain strings (and, where it needs the source, a `Source` built from the document), so it
can be tested on small positive and negative examples (tests/benchmarks/test_quality_detectors.py).
bench_quality.py runs them on whole modules. The detectors are deliberately simple and explainable: a flag
is a place a person should look, and the benchmark's rates are comparable from run to run.

Classes, with the unit each rate is counted over:
    questions  cloze_not_key_term, leading_connective, dangling_reference, malformed_wh, distractor_kind,
               distractor_true, statement_not_sentence, word_salad, front_back_matter, footnote_glued,
               key_unsupported
    lessons    footnote_glued; lesson_broken (lesson_detectors.py)
    objectives vague_objective (lesson_detectors.py)
    documents  count_unmet_silent (bench_quality.py), module_title (lesson_detectors.py)
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

BLANK = "_____"


def _word_list(text: str) -> list[str]:
    return text.split()


CONNECTIVES = {
    "en": "but also however and thus therefore so yet moreover furthermore hence then still nevertheless "
    "nonetheless instead besides otherwise accordingly consequently meanwhile likewise similarly "
    "additionally indeed or nor",
    "fr": "mais aussi cependant et donc ainsi pourtant toutefois puis or néanmoins ensuite enfin alors "
    "car sinon également",
    "de": "aber auch doch jedoch und daher deshalb deswegen außerdem dann also trotzdem dennoch sondern "
    "oder zudem ebenso folglich",
    "es": "pero también y además así pues entonces luego asimismo o igualmente",
}
_MULTIWORD_CONNECTIVES = (
    "for example",
    "for instance",
    "in addition",
    "on the other hand",
    "as a result",
    "in contrast",
    "by contrast",
    "de plus",
    "par ailleurs",
    "en outre",
    "par exemple",
    "sin embargo",
    "por ejemplo",
    "por lo tanto",
    "zum beispiel",
)
# Words that point outside the sentence when it starts with them (the referent is in an earlier sentence).
# Not German "Sie"/"Ihr": at a sentence start they are as often the reader ("you") as a pronoun.
_POINTING_STARTS = {
    "en": "he she it they this these that those his her its their him them such",
    "fr": "il elle ils elles ce cet cette ces celui celle ceux celles cela ça leur leurs son sa ses",
    "de": "er dies diese dieser dieses jene jener jenes sein seine dessen deren dort",
    "es": "él ella ellos ellas este esta estos estas ese esa esos esas eso esto su sus aquel aquella",
}
POINTING_PHRASES = re.compile(
    r"\b(that year|the same year|this year|that time|at that time|the latter|the former|"
    r"the above|see above|see below|as follows|"
    r"as shown (above|below|in (table|figure|fig\.|section|chapter))|"
    r"(this|the following|the preceding|the previous) (figure|table|example|section|chapter|listing)|"
    r"(in|see) (table|figure|fig\.) \d+|cette année-là|ci-dessus|ci-dessous|siehe oben|siehe unten|"
    r"im selben jahr|in diesem jahr|ese año|aquel año|véase más arriba)\b",
    re.IGNORECASE,
)
# "It is not true that ...", "Il y a ...": a pronoun that points at nothing.
_IMPERSONAL = re.compile(
    r"^(it (is|was) (\w+ ){0,3}(to|that|possible|necessary|important|clear|easy|hard|true)\b|"
    r"il (y a|faut|existe|est (possible|nécessaire|important))\b|such as\b)",
    re.IGNORECASE,
)
_WH = re.compile(
    r"^(what|which|who|whom|whose|when|where|why|how|qu(e|el|elle|els|elles|i|oi)|où|quand|comment|"
    r"pourquoi|combien|was|welche[rsmn]?|wer|wen|wem|wann|wo|warum|wie|qué|cuál(es)?|quién(es)?|cuándo|"
    r"dónde|por qué|cómo|cuánt[oa]s?)\b",
    re.IGNORECASE,
)
_SUBORDINATORS = _word_list("whether that which because if although though since while when as")
_MONTHS = _word_list(
    "january february march april may june july august september october november december janvier "
    "février mars avril mai juin juillet août septembre octobre novembre décembre januar februar "
    "märz april mai juni juli august september oktober november dezember enero febrero marzo abril "
    "mayo junio julio agosto septiembre octubre noviembre diciembre"
)
_BACK_MATTER_HEADINGS = re.compile(
    r"^\s*(\d+[.\s]*)?(notes|endnotes|footnotes|references|bibliography|works cited|literature cited|"
    r"index|general index|acknowledge?ments?|about the authors?|editorial board|advisory board|"
    r"appendix [a-z]?\.?\s*(bibliography|references)|anmerkungen|literatur(verzeichnis)?|register|"
    r"stichwortverzeichnis|quellen(verzeichnis)?|danksagung|notas|bibliografía|referencias|índice|"
    r"índice alfabético|agradecimientos|bibliographie|remerciements|index alphabétique)\s*$",
    re.IGNORECASE,
)
_FRONT_MATTER_HEADINGS = re.compile(
    r"^\s*((table of )?contents|inhalt(sverzeichnis)?|table des matières|sommaire|índice general|"
    r"tabla de contenidos|copyright|all rights reserved|dedication|list of (figures|tables))\s*$",
    re.IGNORECASE,
)
_LICENCE_TEXT = re.compile(
    r"project gutenberg(-tm)? (license|licence|electronic works)|all rights reserved|copyright ©|"
    r"general public licen[cs]e|creative commons|"
    r"permission is granted to copy|isbn[\s:-]*\d|this ebook is for the use of anyone",
    re.IGNORECASE,
)
_REFERENCE_LINE = re.compile(
    r"(\bet al\.|\bpp?\.\s*\d|\bvol\.\s*\d|\bdoi\b|\bin proc(eedings)?\b|\(\d{4}[a-z]?\)|"
    r"\b(19|20)\d{2}[a-z]?\.\s|\bibid\b|\bop\. cit\b|\bjournal of\b|\buniversity press\b)",
    re.IGNORECASE,
)
_INDEX_LINE = re.compile(r"^[\w’'()\- ]{2,50},\s*\d+([-–]\d+)?(,\s*\d+([-–]\d+)?)*\.?$")
# A footnote number stuck after punctuation ("copyrighted.4") or to a word that never carries digits.
_GLUED_AFTER_PUNCT = re.compile(r"\b([^\W\d_]{3,})[.,;:”’\")\]](\d{1,3})(?=\s|$)")
_GLUED_TO_WORD = re.compile(r"\b([^\W\d_]{4,})(\d{1,2})(?=[\s.,;:]|$)")
_FUNCTION_WORDS = set(
    _word_list(
        "a an the of in on at to for from by with before after and or but than as per into over under "
        "about de la le les des du et ou à au aux en pour par avec der die das den dem des und oder in "
        "im zu von mit für el los las del y o en por para con"
    )
)
_KEYWORD_LINE = re.compile(
    r"^(keywords?|key words|index terms|schlüsselwörter|mots[- ]clés|palabras clave)\b", re.IGNORECASE
)
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def words(text: str) -> list[str]:
    """The words of a text, casefolded."""
    return [w.casefold() for w in _WORD.findall(text)]


def normalized(text: str) -> str:
    """Casefolded words joined by single spaces (quotes, hyphenated line ends and spacing ignored)."""
    text = unicodedata.normalize("NFKC", text).replace("-\n", "").replace("\u00ad", "")
    return " ".join(words(text))


def statement_of(stem: str) -> str:
    """The sentence a stem asks about, without the fixed lead-in ("Fill in the blank:", "True or false?")."""
    stem = stem.strip()
    match = re.match(r"^(.{3,80}?[?:])\s+(?=\S)", stem)
    if match and (BLANK in stem[match.end() :] or len(match.group(1).split()) <= 8):
        rest = stem[match.end() :]
        if len(rest.split()) >= 3:
            return rest
    return stem


def _first_words(text: str, n: int) -> list[str]:
    return words(text)[:n]


def leading_connective(text: str, language: str = "en") -> bool:
    """The statement opens with a connective ("But", "Also,", "However"): it leans on a missing sentence."""
    lowered = " ".join(_first_words(text, 4))
    if any(lowered.startswith(phrase + " ") or lowered == phrase for phrase in _MULTIWORD_CONNECTIVES):
        return True
    first = _first_words(text, 1)
    vocabulary = set(CONNECTIVES.get(language, CONNECTIVES["en"]).split()) | set(CONNECTIVES["en"].split())
    return bool(first) and first[0] in vocabulary and not text.strip()[:1].isdigit()


def dangling_reference(text: str, language: str = "en") -> bool:
    """The statement starts with a pronoun, or names "that year", "this figure", "see above": no referent."""
    if POINTING_PHRASES.search(text):
        return True
    if _IMPERSONAL.match(text.strip()):
        return False
    first = _first_words(text, 1)
    vocabulary = set(_POINTING_STARTS.get(language, _POINTING_STARTS["en"]).split())
    # "This method ..." or "These results ..." name their referent's kind only; still outside the stem.
    return bool(first) and first[0] in vocabulary


def malformed_wh(stem: str) -> bool:
    """A wh-question whose wording is broken: a connective or subordinator right after the wh-word and verb
    ("What are But whether patents?"), a doubled word, or no question mark."""
    text = stem.strip()
    if not _WH.match(text) or BLANK in text:
        return False
    if not text.endswith(("?", "؟")):
        return True
    tokens = words(text)
    if any(a == b and a.isalpha() for a, b in itertools.pairwise(tokens)):
        return True
    connectives = set(CONNECTIVES["en"].split()) | set(_SUBORDINATORS)
    after = [t for t in tokens[1:4] if t not in {"is", "are", "was", "were", "does", "do", "did", "the", "a"}]
    if after and after[0] in connectives:
        return True
    raw_tokens = _WORD.findall(text)
    # A capitalized connective in mid-question is a sentence start pasted in ("What are But ...").
    return any(t.casefold() in connectives and t[:1].isupper() for t in raw_tokens[1:] if t.casefold() != "i")


@dataclass(frozen=True)
class _Kind:
    name: str
    unit: str = ""


_NUMBER = re.compile(r"^[~≈<>±]?\s*[-+]?\d[\d,.\s]*(%|‰)?$")
_NUMBER_WITH_UNIT = re.compile(r"^[-+]?\d[\d,.]*\s*([^\W\d_][\w/%°.]*)(\s[^\W\d_]+)?$")
_YEAR = re.compile(r"^(1[0-9]{3}|20[0-9]{2})s?$")


def option_kind(option: str) -> _Kind:
    """The coarse kind of a short option: year, number, quantity (with its unit), date, name, or phrase."""
    text = option.strip().rstrip(".")
    lowered = text.casefold()
    if _YEAR.match(text):
        return _Kind("year")
    if any(m in lowered.split() for m in _MONTHS) and re.search(r"\d", text):
        return _Kind("date")
    if lowered in _MONTHS:
        return _Kind("month")
    if _NUMBER.match(text):
        return _Kind("percent" if text.endswith(("%", "‰")) else "number")
    quantity = _NUMBER_WITH_UNIT.match(text)
    if quantity:
        return _Kind("quantity", quantity.group(1).casefold())
    if len(text.split()) > 8:
        return _Kind("sentence")
    tokens = text.split()
    if tokens and all(t[:1].isupper() or not t[:1].isalpha() for t in tokens):
        return _Kind("name")
    return _Kind("phrase")


def distractor_kind_mismatch(key: str, options: list[str]) -> bool:
    """Some option is of another kind than the key: a name among years, a bare number among quantities."""
    wanted = option_kind(key)
    if wanted.name == "sentence":
        return False
    for option in options:
        if option == key:
            continue
        kind = option_kind(option)
        if kind.name != wanted.name:
            # A capitalized term and a lowercase phrase are both noun phrases at the start of a sentence.
            if {kind.name, wanted.name} <= {"name", "phrase"} and len(option.split()) > 1:
                continue
            return True
        if kind.name == "quantity" and kind.unit != wanted.unit:
            return True
    return False


@dataclass
class Source:
    """The document as the detectors see it: pages, sentences, vocabulary and each page's kind."""

    pages: dict[int, str]
    text: str = ""  # normalized words of the whole document
    sentences: list[str] = field(default_factory=list)
    token_counts: Counter[str] = field(default_factory=Counter)
    kinds: dict[int, str] = field(default_factory=dict)
    pages_text: str = ""  # the pages as given, joined

    @classmethod
    def from_pages(cls, pages: dict[int, str]) -> Source:
        """Index a document given as {page number: page text}."""
        source = cls(pages)
        joined = "\n".join(pages[p] for p in sorted(pages))
        source.text = normalized(joined)
        flat = " ".join(joined.replace("-\n", "").split())
        source.sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý0-9“\"(])", flat) if s]
        source.token_counts = Counter(joined.split())
        source.pages_text = " ".join(joined.split())
        source.kinds = {number: page_kind(text, number) for number, text in pages.items()}
        return source

    def says(self, sentence: str) -> bool:
        """The document contains this sentence (words compared, punctuation and case ignored)."""
        wanted = normalized(sentence)
        return bool(wanted) and f" {wanted} " in f" {self.text} "

    def closest(self, sentence: str) -> tuple[float, str]:
        """The source sentence that covers most of this one, and the share of its words in order (0..1).

        Page text does not always split where the generator split (a heading glued to a sentence), so a
        longer source sentence that contains this one counts as covering it.
        """
        wanted = words(sentence)
        vocabulary = set(wanted)
        best = (0.0, 0, "")
        for candidate in self.sentences:
            tokens = words(candidate)
            if len(vocabulary & set(tokens)) < len(vocabulary) / 2:
                continue
            blocks = difflib.SequenceMatcher(None, wanted, tokens, autojunk=False).get_matching_blocks()
            coverage = sum(b.size for b in blocks) / max(1, len(wanted))
            best = max(best, (coverage, -len(tokens), candidate))
        return best[0], best[2]


def page_kind(text: str, number: int = 0) -> str:
    """The kind of a page: front (title, contents, rights), back (notes, references, index), or body."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or (number == 1 and len(text.split()) < 40):
        return "front"
    head = lines[:4]
    if any(_BACK_MATTER_HEADINGS.match(line) for line in head):
        return "back"
    if any(_FRONT_MATTER_HEADINGS.match(line) for line in head):
        return "front"
    if len(_LICENCE_TEXT.findall(text)) >= 2 or (_LICENCE_TEXT.search(text) and len(text.split()) < 120):
        return "front" if number and number <= 4 else "back"
    references = sum(1 for line in lines if _REFERENCE_LINE.search(line))
    index_lines = sum(1 for line in lines if _INDEX_LINE.match(line))
    dotted = sum(1 for line in lines if re.search(r"(\.\s?){4,}\s*\d+$", line))
    if dotted >= max(3, len(lines) / 3):
        return "front"
    if references >= max(4, len(lines) * 0.4) or index_lines >= max(5, len(lines) * 0.5):
        return "back"
    return "body"


def glued_footnote(text: str, source: Source | None = None) -> bool:
    """A footnote number glued to a word ("copyrighted.4", "culture12") in generated text.

    A word with digits that the document repeats (ext4, python3, x86) is a name, not a footnote.
    """
    for match in _GLUED_AFTER_PUNCT.finditer(text):
        if not (match.group(1).isupper() or _looks_like_version(text, match)):
            return True
    for match in _GLUED_TO_WORD.finditer(text):
        token = match.group(0)
        if match.group(1).isupper() or re.search(r"[A-Z]", match.group(1)[1:]):
            continue  # acronyms and code names: MP3, IPv6
        if source is not None and source.token_counts[token] + source.token_counts[token + "."] >= 3:
            continue
        if source is not None and f" {match.group(1).casefold()} " not in f" {source.text} ":
            continue  # the bare word never occurs: the digits belong to the name
        return True
    return False


def _looks_like_version(text: str, match: re.Match[str]) -> bool:
    after = text[match.end() : match.end() + 2]
    return after[:1] == "." and after[1:2].isdigit()


def cloze_not_key_term(stem: str, key: str) -> bool:
    """A blank in a copied sentence whose key is not a term with one possible answer: a lowercase single
    common word, a count with no unit after the blank, or a word the stem itself repeats. A year is a fact."""
    if BLANK not in stem:
        return False
    key = key.strip()
    statement = statement_of(stem)
    if key.casefold() in words(statement.replace(BLANK, " ")):
        return True
    if _YEAR.match(key):
        return False
    if _NUMBER.match(key):
        following = words(statement.split(BLANK, 1)[1])[:1]
        return not following or following[0] in _FUNCTION_WORDS
    return len(key.split()) == 1 and key.islower() and len(key) <= 12


def distractor_true(stem: str, key: list[str], options: list[str], source: Source, kind: str) -> bool:
    """A wrong option equals the key, or is also true per the source (the filled-in sentence is in the text,
    a "false" statement is a sentence of the document)."""
    keys = {normalized(k) for k in key}
    wrong = [o for o in options if o not in key]
    if kind == "true_false":
        statement = statement_of(stem)
        return key == ["false"] and source.says(statement)
    if any(normalized(o) in keys for o in wrong):
        return True
    if BLANK in stem:
        sentence = statement_of(stem)
        return any(source.says(sentence.replace(BLANK, o)) for o in wrong)
    if kind == "multiple_choice":
        return any(len(o.split()) >= 5 and source.says(o) for o in wrong)
    return False


def not_a_statement(text: str, has_verb: Callable[[str], bool] | None = None) -> bool:
    """A heading, keyword line or fragment offered as a statement: too short, all capitals, a "Keywords:"
    line, no sentence end, a lowercase start, a comma-separated list, or (with a tagger) no verb."""
    text = text.strip()
    tokens = text.split()
    letters = [c for c in text if c.isalpha()]
    if len(tokens) < 5 or (letters and sum(c.isupper() for c in letters) > 0.7 * len(letters)):
        return True
    if re.match(
        r"^(keywords?|key words|index terms|schlüsselwörter|mots[- ]clés|palabras clave)\b", text, re.I
    ):
        return True
    if not text.endswith((".", "!", "?", ".”", '."', "»", ".)")):
        return True
    if text[:1].islower():
        return True
    if text.count(",") > len(tokens) / 3:
        return True  # a list of keywords separated by commas
    return has_verb is not None and not has_verb(text)


Tagger = Callable[[str], dict[str, set[str]]]  # a sentence's words (casefolded) -> their parts of speech


def word_salad(variant: str, source: Source, tagger: Tagger | None = None) -> bool:
    """A false variant that no longer reads as a sentence: words of a source sentence shuffled, a doubled
    word, words dropped, a swap of a word for one of another kind (a number for a word; with a tagger, a
    verb for a noun), or a sentence with no close source sentence at all."""
    tokens = words(variant)
    if any(a == b and a.isalpha() for a, b in itertools.pairwise(tokens)):
        return True
    ratio, original = source.closest(variant)
    if ratio < 0.6:
        return True
    theirs = words(original)
    if sorted(theirs) == sorted(tokens) and theirs != tokens:
        return True
    operations = difflib.SequenceMatcher(None, theirs, tokens, autojunk=False).get_opcodes()
    while operations and operations[0][0] == "delete":
        operations = operations[1:]  # the source sentence went on before this one started
    while operations and operations[-1][0] == "delete":
        operations = operations[:-1]  # or after it ended
    for op, a1, a2, b1, b2 in operations:
        if op == "delete" and a2 - a1 >= 2:
            return True  # words dropped from the middle of the sentence: a fragment, not a claim
        if op != "replace":
            continue
        before, after = " ".join(theirs[a1:a2]), " ".join(tokens[b1:b2])
        numeric = ("year", "number", "percent", "quantity")
        if (option_kind(before).name in numeric) != (option_kind(after).name in numeric):
            return True
        if abs((a2 - a1) - (b2 - b1)) >= 3:
            return True
        if tagger is not None and _verb_swapped(tagger, original, theirs[a1:a2], variant, tokens[b1:b2]):
            return True
    return False


def _verb_swapped(tagger: Tagger, original: str, before: list[str], variant: str, after: list[str]) -> bool:
    verbal = {"VERB", "AUX"}
    tags_before, tags_after = tagger(original), tagger(variant)
    had_verb = any(tags_before.get(w, set()) & verbal for w in before)
    has_verb = any(tags_after.get(w, set()) & verbal for w in after)
    return had_verb != has_verb


def key_unsupported(kind: str, stem: str, answer: list[str], options: list[str], quote: str) -> bool:
    """The cited quote does not contain the key (or, for a true statement, does not say it)."""
    said = normalized(quote)
    if kind == "true_false":
        statement = normalized(statement_of(stem))
        if answer == ["true"]:
            return statement not in said
        return statement == said  # a "false" statement that is word for word the quote
    if kind == "multiple_choice" and options:
        return any(normalized(a) not in said for a in answer)
    return normalized(answer[0]) not in said


# Discourse words that open a sentence and lean on the one before it, when a question carries them to its
# end ("What is a large fraction of one's income ... again?").
_TRAILING_CONNECTIVES = frozenset(
    (CONNECTIVES["en"] + " again now here first firstly secondly lastly next finally too as well").split()
)


def trailing_connective(stem: str) -> bool:
    """A wh-question that moved its sentence's leading connective to its end ("..., again?")."""
    if not stem.rstrip().endswith("?") or not _WH.match(stem.strip()):
        return False
    last = re.findall(r"[^\W\d_]+", stem.rstrip(" ?"))
    return bool(last) and last[-1].casefold() in _TRAILING_CONNECTIVES


def lowered_name(stem: str, quote: str, source: Source) -> bool:
    """A name written in capitals in the source that the stem lower-cases ("did leibniz publish")."""
    for word in re.findall(r"(?<![\w.])[a-zà-ÿ][\w-]{2,}", stem):
        name = word[:1].upper() + word[1:]
        if name not in quote or word in quote:
            continue
        # A name is capitalised in mid-sentence somewhere in the document and never written in lower case.
        if source.token_counts[word] == 0 and re.search(rf"[\w,;] {re.escape(name)}\b", source.pages_text):
            return True
    return False
