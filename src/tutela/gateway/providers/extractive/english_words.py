"""English words that tie a sentence to its context, for the question writer (wh.py)."""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Connectives that lean on the sentence before: dropped from the start of a question's clause.
CONNECTIVES = _words(
    """and but or so yet also however thus therefore moreover furthermore besides then still hence
    nevertheless nonetheless instead meanwhile consequently accordingly indeed likewise similarly otherwise
    anyway anyhow finally further additionally again now lastly secondly firstly alternatively conversely"""
)
CONNECTIVE_PHRASES = (
    "for example",
    "for instance",
    "in addition",
    "in contrast",
    "as a result",
    "on the other hand",
    "in other words",
    "in particular",
    "of course",
    "in fact",
)
# Third-person pronouns need a referent earlier in the stem; first and second person never have one.
PRONOUNS = _words("he she it they him her them his its their hers theirs himself herself itself")
PERSONAL = _words("i we you me us my our your mine ours yours")
DEMONSTRATIVES = _words("this that these those such")
ANAPHORIC = re.compile(
    r"\b(?:that|the same|the following|the next|the previous|the latter|the former|this) "
    r"(?:year|month|day|week|decade|century|time|period|season|one|ones)\b"
    r"|\b(?:the latter|the former|the other|the two|the three|the four|both of them)\b"
    # "as follows", "the following": a list that comes after, not part of the question
    r"|\bas follows\b|\bthe following\b(?! (?:year|month|day|week|decade|century)\b)",
    re.IGNORECASE,
)
# "Most objects", "many students": a quantified phrase is no answer to "What ...?".
QUANTIFIERS = _words("most many some all each every several few various other")
# Verbs whose subject is a person: a one-word name the entity tagger calls an organization is asked "Who".
HUMAN_VERBS = _words(
    """argue say write claim believe think suggest propose describe explain state note work live marry die
    publish recall insist admit deny reply tell ask wonder wish hope fear love hate know learn study teach
    paint compose sing play join leave"""
)
