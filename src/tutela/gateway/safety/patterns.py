"""Admin-written terms and regular expressions, compiled so that matching them stays cheap on any input.

Python's `re` backtracks, so a pattern like `(a+)+b` or even `\\d+\\s*\\d+x` can take minutes on a few
thousand characters. Patterns are therefore checked before they are stored, on their parse tree:

- no back-references, look-arounds or conditionals;
- a repeated part is a single character matcher or a group of them: no repeat inside a repeat and no
  alternation inside a repeat (star height one);
- at most one unbounded repeat (`*`, `+`, `{n,}`), bounded repeats up to `{,100}`;
- the product of the repeats' ranges (an unbounded one counts as `MAX_MATCH_CHARS`) is at most
  `COST_BUDGET`: the most backtracking one start position can cause;
- the pattern must not match the empty string.

Text is searched in windows of `2 * MAX_MATCH_CHARS` characters that overlap by `MAX_MATCH_CHARS`, so the
work per window is bounded whatever the text, and every match up to `MAX_MATCH_CHARS` long is found. A hostile
text can still make a permitted pattern cost tens of microseconds per character, so callers pass a deadline,
checked between windows: past it, `PatternBudgetExceeded` is raised and the caller fails closed.

Exact terms are matched on word tokens (case-insensitive, punctuation between words ignored) with a
dictionary lookup per word, which is linear in the text whatever the number of terms.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tutela.gateway.safety.filtering_exceptions import InvalidPattern, PatternBudgetExceeded

MAX_PATTERN_CHARS = 200
MAX_TERM_CHARS = 100
MAX_MATCH_CHARS = 128
MAX_BOUNDED_REPEAT = 100
COST_BUDGET = 2048
_WINDOW = 2 * MAX_MATCH_CHARS
_STRIDE = MAX_MATCH_CHARS

_parser: Any = importlib.import_module("re._parser")  # the stdlib's own regex parser (no public alias)
_MAXREPEAT: int = int(_parser.MAXREPEAT)
_CHAR_OPS = {"LITERAL", "NOT_LITERAL", "ANY", "IN", "AT"}
_REPEAT_OPS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_FORBIDDEN = {
    "GROUPREF": "back-references are not allowed",
    "GROUPREF_IGNORE": "back-references are not allowed",
    "GROUPREF_LOC_IGNORE": "back-references are not allowed",
    "GROUPREF_UNI_IGNORE": "back-references are not allowed",
    "GROUPREF_EXISTS": "conditional groups are not allowed",
    "ASSERT": "look-ahead and look-behind are not allowed",
    "ASSERT_NOT": "look-ahead and look-behind are not allowed",
}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SafePattern:
    """A checked, compiled regular expression."""

    source: str
    regex: re.Pattern[str]

    def search(self, text: str, *, deadline: float | None = None) -> bool:
        """True when the pattern occurs anywhere in the text (`deadline` as in `time.monotonic()`)."""
        for start, end in _windows(len(text)):
            if self.regex.search(text, start, end):
                return True
            _check(deadline)
        return False

    def spans(self, text: str, *, limit: int = 100, deadline: float | None = None) -> list[tuple[int, int]]:
        """Where the pattern occurs (non-overlapping, in order), at most `limit` of them."""
        found: list[tuple[int, int]] = []
        last_end = 0
        for start, end in _windows(len(text)):
            _check(deadline)
            for match in self.regex.finditer(text, max(start, last_end), end):
                if match.start() >= start + _STRIDE and end < len(text):
                    break  # the next window finds it, with its full context
                found.append(match.span())
                last_end = match.end()
                if len(found) >= limit:
                    return found
        return found


def _check(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise PatternBudgetExceeded("pattern matching ran out of time")


def _windows(length: int) -> Iterable[tuple[int, int]]:
    if length <= _WINDOW:
        yield 0, length
        return
    for start in range(0, length, _STRIDE):
        yield start, min(start + _WINDOW, length)
        if start + _WINDOW >= length:
            return


def _simple(items: Sequence[tuple[Any, Any]]) -> bool:
    """True when a repeat body only matches single characters (possibly grouped)."""
    for op, arg in items:
        name = str(op)
        if name in _CHAR_OPS:
            continue
        if name == "SUBPATTERN" and _simple(arg[-1]):
            continue
        if name == "ATOMIC_GROUP" and _simple(arg):
            continue
        return False
    return True


def _walk(items: Sequence[tuple[Any, Any]], repeats: list[tuple[int, int]]) -> None:
    for op, arg in items:
        name = str(op)
        if name in _FORBIDDEN:
            raise InvalidPattern(_FORBIDDEN[name])
        if name in _REPEAT_OPS:
            low, high, body = arg
            if not _simple(body):
                raise InvalidPattern(
                    "a repeated part must be a character, a character class or a group of them "
                    "(no repeats or alternatives inside a repeat)"
                )
            if high != _MAXREPEAT and high > MAX_BOUNDED_REPEAT:
                raise InvalidPattern(f"bounded repeats go up to {{,{MAX_BOUNDED_REPEAT}}}")
            repeats.append((int(low), int(high)))
            _walk(body, repeats)
        elif name == "SUBPATTERN":
            _walk(arg[-1], repeats)
        elif name == "ATOMIC_GROUP":
            _walk(arg, repeats)
        elif name == "BRANCH":
            for alternative in arg[1]:
                _walk(alternative, repeats)
        elif name not in _CHAR_OPS:
            raise InvalidPattern(f"unsupported construct {name.lower()}")


def compile_pattern(source: str, *, case_sensitive: bool = False) -> SafePattern:
    """Check and compile an admin's regular expression, or raise InvalidPattern saying why."""
    if not source or len(source) > MAX_PATTERN_CHARS:
        raise InvalidPattern(f"a pattern has 1 to {MAX_PATTERN_CHARS} characters")
    flags = 0 if case_sensitive else re.IGNORECASE
    try:
        regex = re.compile(source, flags)
        tree = _parser.parse(source, flags)
    except (re.error, RecursionError, OverflowError) as exc:
        raise InvalidPattern(f"not a valid regular expression: {exc}") from None
    repeats: list[tuple[int, int]] = []
    _walk(list(tree), repeats)
    if sum(1 for _, high in repeats if high == _MAXREPEAT) > 1:
        raise InvalidPattern("at most one unbounded repeat (*, + or {n,}) per pattern")
    cost = 1
    for low, high in repeats:
        cost *= min(high, MAX_MATCH_CHARS) - low + 1
    if cost > COST_BUDGET:
        raise InvalidPattern("the pattern's repeats allow too much backtracking; use fewer or narrower ones")
    if regex.fullmatch("") is not None:
        raise InvalidPattern("the pattern matches the empty string, so it would match everywhere")
    return SafePattern(source=source, regex=regex)


def normalize_term(term: str) -> tuple[str, ...]:
    """A term as the word tokens it is matched on (lower case)."""
    return tuple(w.lower() for w in _WORD.findall(term))


def check_term(term: str) -> tuple[str, ...]:
    """Validate an exact term, or raise InvalidPattern."""
    if not term.strip() or len(term) > MAX_TERM_CHARS:
        raise InvalidPattern(f"a term has 1 to {MAX_TERM_CHARS} characters")
    words = normalize_term(term)
    if not words:
        raise InvalidPattern("a term needs at least one letter or digit")
    return words


class TermSet:
    """Exact terms (one or more words each), found with one dictionary lookup per word of the text."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for term in terms:
            words = normalize_term(term)
            if words:
                self._by_first.setdefault(words[0], []).append(words)
        for group in self._by_first.values():
            group.sort(key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._by_first)

    def spans(self, text: str, limit: int = 100) -> list[tuple[int, int]]:
        """Where any term occurs, longest first at each word, at most `limit` of them."""
        if not self._by_first:
            return []
        tokens = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
        found: list[tuple[int, int]] = []
        i = 0
        while i < len(tokens):
            candidates = self._by_first.get(tokens[i][0])
            matched = 0
            for words in candidates or ():
                n = len(words)
                if tuple(t[0] for t in tokens[i : i + n]) == words:
                    matched = n
                    break
            if matched:
                found.append((tokens[i][1], tokens[i + matched - 1][2]))
                if len(found) >= limit:
                    break
                i += matched
            else:
                i += 1
        return found

    def search(self, text: str) -> bool:
        """True when any term occurs."""
        return bool(self.spans(text, limit=1))
