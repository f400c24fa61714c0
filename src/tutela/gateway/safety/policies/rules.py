"""Evaluating content policy rules on a text: pure functions, no database, nothing kept.

`compile_rule` turns a stored definition into a `CompiledRule`; `evaluate_rules` runs compiled rules and
returns `Finding`s with character spans. Personal data is validated, not just pattern-matched: an IBAN must
have its country's length and pass the ISO 7064 mod-97 checksum, an e-mail a plausible domain, a phone
number 8 to 15 digits written as phone numbers are (a leading +, 00, 0 or an area code in parentheses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter

from tutela.gateway.safety.patterns import TermSet, compile_pattern
from tutela.gateway.safety.policies.schemas import (
    Finding,
    ForbiddenPattern,
    ForbiddenTerms,
    PersonalData,
    ReadingLevel,
    RequiredWording,
    RuleDefinition,
)

MAX_FINDINGS_PER_RULE = 100
EXCERPT_CHARS = 120
# Kinds whose findings are local to a span, so they can be checked window by window on a stream.
LOCAL_KINDS = frozenset({"forbidden_terms", "forbidden_pattern", "personal_data"})

_DEFINITION: TypeAdapter[RuleDefinition] = TypeAdapter(RuleDefinition)

Check = Callable[[str, float | None], list[tuple[tuple[int, int], str]]]


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to run: its identity and a check returning (span, message) pairs."""

    rule_id: str
    name: str
    kind: str
    check: Check


def parse_definition(data: object) -> RuleDefinition:
    """Validate a stored or submitted rule definition."""
    return _DEFINITION.validate_python(data)


def compile_rule(rule_id: str, name: str, definition: RuleDefinition) -> CompiledRule:
    """Compile a definition (patterns are checked here: InvalidPattern if unsafe)."""
    if isinstance(definition, ForbiddenTerms):
        check = _forbidden_terms(definition)
    elif isinstance(definition, ForbiddenPattern):
        check = _forbidden_pattern(definition)
    elif isinstance(definition, RequiredWording):
        check = _required_wording(definition)
    elif isinstance(definition, PersonalData):
        check = _personal_data(definition)
    else:
        check = _reading_level(definition)
    return CompiledRule(rule_id=rule_id, name=name, kind=definition.kind, check=check)


def evaluate_rules(
    rules: Iterable[CompiledRule], text: str, *, local_only: bool = False, deadline: float | None = None
) -> list[Finding]:
    """Every finding of every rule, in rule order then text order."""
    findings: list[Finding] = []
    for rule in rules:
        if local_only and rule.kind not in LOCAL_KINDS:
            continue
        for (start, end), message in rule.check(text, deadline)[:MAX_FINDINGS_PER_RULE]:
            findings.append(
                Finding(
                    rule_id=rule.rule_id,
                    rule_name=rule.name,
                    kind=rule.kind,
                    span=(start, end),
                    excerpt=text[start:end][:EXCERPT_CHARS],
                    message=message,
                )
            )
    return findings


# --- forbidden terms and patterns ----------------------------------------------------------------------


def _forbidden_terms(rule: ForbiddenTerms) -> Check:
    terms = TermSet(rule.terms)

    def check(text: str, deadline: float | None) -> list[tuple[tuple[int, int], str]]:
        return [(span, "forbidden term") for span in terms.spans(text, limit=MAX_FINDINGS_PER_RULE)]

    return check


def _forbidden_pattern(rule: ForbiddenPattern) -> Check:
    pattern = compile_pattern(rule.pattern, case_sensitive=rule.case_sensitive)

    def check(text: str, deadline: float | None) -> list[tuple[tuple[int, int], str]]:
        spans = pattern.spans(text, limit=MAX_FINDINGS_PER_RULE, deadline=deadline)
        return [(span, "forbidden pattern") for span in spans]

    return check


# --- required wording -----------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return " ".join(text.split()).casefold()


def _required_wording(rule: RequiredWording) -> Check:
    wanted = _collapse(rule.text)

    def check(text: str, deadline: float | None) -> list[tuple[tuple[int, int], str]]:
        have = _collapse(text)
        strip = " .,;:!?\"'()[]"
        present = {
            "anywhere": wanted in have,
            "start": have.lstrip(strip).startswith(wanted.strip(strip)),
            "end": have.rstrip(strip).endswith(wanted.strip(strip)),
        }[rule.position]
        if present:
            return []
        at = len(text) if rule.position == "end" else 0
        where = "" if rule.position == "anywhere" else f" at the {rule.position}"
        return [((at, at), f"required wording is missing{where}: {rule.text[:80]!r}")]

    return check


# --- personal data --------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}"
    r"[A-Za-z]{2,24}(?![\w-])"
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|\()?[0-9][0-9 ()./-]{6,20}[0-9](?![\w])")
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
# ISO 13616 lengths (SWIFT IBAN registry) of the countries that issue IBANs.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def valid_iban(candidate: str) -> bool:
    """Country length and ISO 7064 mod-97-10 checksum."""
    iban = candidate.replace(" ", "").upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def valid_email(candidate: str) -> bool:
    """A local part without leading, trailing or doubled dots."""
    local = candidate.split("@", 1)[0]
    return not (local.startswith(".") or local.endswith(".") or ".." in local)


def valid_phone(candidate: str) -> bool:
    """8-15 digits, written like a phone number rather than a date, amount or reference."""
    digits = re.sub(r"\D", "", candidate)
    if not 8 <= len(digits) <= 15 or _DATE_LIKE.match(candidate.strip()):
        return False
    if candidate.count("(") != candidate.count(")"):
        return False
    return candidate.startswith(("+", "00", "0", "("))


def personal_data_spans(text: str, types: Sequence[str]) -> list[tuple[tuple[int, int], str]]:
    """Validated personal data in the text, in order: ((start, end), type)."""
    found: list[tuple[tuple[int, int], str]] = []
    taken: list[tuple[int, int]] = []
    if "iban" in types:
        for m in _IBAN.finditer(text):
            if valid_iban(m.group()):
                found.append((m.span(), "iban"))
                taken.append(m.span())
    if "email" in types:
        found.extend((m.span(), "email") for m in _EMAIL.finditer(text) if valid_email(m.group()))
    if "phone" in types:
        for m in _PHONE.finditer(text):
            if valid_phone(m.group()) and not any(a <= m.start() < b for a, b in taken):
                found.append((m.span(), "phone"))
    return sorted(found)


def _personal_data(rule: PersonalData) -> Check:
    def check(text: str, deadline: float | None) -> list[tuple[tuple[int, int], str]]:
        items = personal_data_spans(text, rule.types)
        if len(items) <= rule.max_count:
            return []
        allowed = f"at most {rule.max_count} allowed" if rule.max_count else "none allowed"
        return [(span, f"personal data ({kind}): {allowed}") for span, kind in items[rule.max_count :]]

    return check


# --- reading level --------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^\s.!?][^.!?]*(?:[.!?]+|$)")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_VOWELS = re.compile(r"[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ]+")
# Flesch reading ease per language: (base, weight of words per sentence, weight of syllables per word).
FLESCH = {
    "en": (206.835, 1.015, 84.6),  # Flesch (1948)
    "de": (180.0, 1.0, 58.5),  # Amstad (1978)
    "fr": (207.0, 1.015, 73.6),  # Kandel & Moles (1958)
    "es": (206.84, 1.02, 60.0),  # Fernández Huerta (1959)
    "it": (217.0, 1.3, 60.0),  # Franchini's adaptation
    "nl": (206.835, 0.93, 77.0),  # Douma (1960)
}


def syllables(word: str, language: str) -> int:
    """Vowel groups, with English's silent final e dropped; at least one."""
    lower = word.lower()
    count = len(_VOWELS.findall(lower))
    if language == "en" and lower.endswith("e") and not lower.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def reading_ease(text: str, language: str) -> tuple[float, int, int] | None:
    """(Flesch reading ease, sentences, words), or None when the text has no words."""
    base, per_sentence, per_syllable = FLESCH.get(language, FLESCH["en"])
    sentences = [s for s in _SENTENCE.findall(text) if _WORD.search(s)]
    words = _WORD.findall(text)
    if not sentences or not words:
        return None
    syllable_count = sum(syllables(w, language) for w in words)
    score = base - per_sentence * len(words) / len(sentences) - per_syllable * syllable_count / len(words)
    return score, len(sentences), len(words)


def _language(text: str, configured: str) -> str:
    if configured != "auto":
        return configured
    from tutela.core.language import detect_language, sample_text

    detected = detect_language(sample_text([text]))
    return detected if detected in FLESCH else "en"


def _reading_level(rule: ReadingLevel) -> Check:
    def check(text: str, deadline: float | None) -> list[tuple[tuple[int, int], str]]:
        out: list[tuple[tuple[int, int], str]] = []
        if rule.max_words_per_sentence is not None:
            for m in _SENTENCE.finditer(text):
                count = len(_WORD.findall(m.group()))
                if count > rule.max_words_per_sentence:
                    message = f"sentence of {count} words (at most {rule.max_words_per_sentence})"
                    out.append(((m.start(), m.end()), message))
        if rule.min_reading_ease is not None:
            language = _language(text, rule.language)
            measured = reading_ease(text, language)
            if measured is not None and measured[0] < rule.min_reading_ease:
                message = (
                    f"reading ease {measured[0]:.1f} ({language}) is below the minimum "
                    f"{rule.min_reading_ease:g}"
                )
                out.append(((0, len(text)), message))
        return out

    return check
