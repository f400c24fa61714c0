"""Grounding checks of a finished module against its source document.

Rules (severity):
- quote_not_found (error): a citation's quote is not in the cited page's text. Whitespace runs and
  end-of-line hyphenation ("trace-\\nbased" against "tracebased" or "trace-based") are tolerated, since a
  model may reflow a quote; anything else is not.
- page_out_of_range (error): a citation names a page the document does not have.
- answer_unsupported (error for fill_in_blank and single_choice, whose answer must appear in the quote;
  warning for multiple_choice options and short answers, which a model may rephrase).
- single_answer (error): a single_choice or true_false question without exactly one correct option.
- duplicate_question, duplicate_option (error).
- instruction_in_text (warning): lesson or question text that reads as an instruction to a model, the mark
  of a prompt injection carried over from the source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tutela.authoring.generation.schemas import Citation, Module, Question
from tutela.authoring.ingest.document import ExtractedDocument

Severity = Literal["error", "warning"]
_EOL_HYPHEN = re.compile(r"(?<=\w)[-\u00ad]\s*\n\s*(?=\w)")
_SPACED_HYPHEN = re.compile(r"(?<=\w)[-\u00ad] (?=\w)")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,60}\b(instructions?|prompts?|rules)\b|\bsystem prompt\b|"
    r"\b(ignoriere|vergiss)\b.{0,60}\b(anweisungen|regeln)\b|\byou are now\b",
    re.IGNORECASE,
)


class Finding(BaseModel):
    """One problem found in a module: which rule, how bad, where (a JSON path) and what."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    severity: Severity
    location: str
    message: str


def _collapse(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def _page_forms(text: str) -> tuple[str, str]:
    """A page's text with hyphenated line ends joined, and with them kept as a hyphen."""
    return _collapse(_EOL_HYPHEN.sub("", text)), _collapse(_EOL_HYPHEN.sub("-", text))


def _quote_forms(quote: str) -> set[str]:
    collapsed = _collapse(_EOL_HYPHEN.sub("\x00", quote)).replace("\x00", "-")
    return {collapsed, _SPACED_HYPHEN.sub("", collapsed), _SPACED_HYPHEN.sub("-", collapsed)}


def quote_in_text(quote: str, text: str) -> bool:
    """Tell whether a quote occurs in a text, up to whitespace and end-of-line hyphenation."""
    if quote in text:
        return True
    pages = _page_forms(text)
    return any(q and q in p for q in _quote_forms(quote) for p in pages)


def _folded(text: str) -> str:
    return _collapse(_EOL_HYPHEN.sub("", text)).casefold()


def _supported(answer: str, quote: str) -> bool:
    return _folded(answer) in _folded(quote) or _folded(answer) in _folded(_SPACED_HYPHEN.sub("", quote))


def _mostly_supported(answer: str, quote: str) -> bool:
    """Most of the answer's longer words occur in the quote (a rephrased answer still passes)."""
    words = [w for w in re.findall(r"\w+", answer.casefold()) if len(w) > 3]
    folded = _folded(quote)
    return not words or sum(w in folded for w in words) >= 0.6 * len(words)


def citations(module: Module) -> list[tuple[str, Citation]]:
    """Every citation of a module with its location, lessons first, then questions."""
    found = [
        (f"chapters[{c}].lessons[{le}].citations[{k}]", citation)
        for c, chapter in enumerate(module.chapters)
        for le, lesson in enumerate(chapter.lessons)
        for k, citation in enumerate(lesson.citations)
    ]
    found += [(f"questions[{i}].citation", q.citation) for i, q in enumerate(module.questions)]
    return found


CITATION_RULES = frozenset({"quote_not_found", "page_out_of_range"})


def unverified_citations(findings: list[Finding]) -> set[str]:
    """Locations of the citations the grounding check could not find in the source."""
    return {f.location for f in findings if f.rule in CITATION_RULES}


def _check_citation(
    location: str, citation: Citation, document: ExtractedDocument, others: Mapping[str, ExtractedDocument]
) -> list[Finding]:
    if citation.document_id is not None:
        named = others.get(citation.document_id)
        if named is None:
            return [
                Finding(
                    rule="page_out_of_range",
                    severity="error",
                    location=location,
                    message=f"{citation.where}: that document is not one of the module's sources",
                )
            ]
        document = named
    if citation.page > len(document.pages):
        message = f"{citation.where} does not exist; the document has {len(document.pages)} pages"
        if document.times is not None:  # a recording's pages are its transcript's segments
            message = (
                f"the citation points past the end of the recording: its transcript has "
                f"{len(document.times)} segments"
            )
        return [Finding(rule="page_out_of_range", severity="error", location=location, message=message)]
    if not quote_in_text(citation.quote, document.pages[citation.page - 1].text):
        on = "at" if citation.start is not None else "on"
        return [
            Finding(
                rule="quote_not_found",
                severity="error",
                location=location,
                message=f"the quote is not {on} {citation.where}: {_collapse(citation.quote)[:80]!r}",
            )
        ]
    return []


def _check_question(location: str, q: Question) -> list[Finding]:
    findings: list[Finding] = []

    def add(rule: str, severity: Severity, message: str) -> None:
        findings.append(Finding(rule=rule, severity=severity, location=location, message=message))

    if q.type in ("single_choice", "true_false") and (len(q.answer) != 1 or q.answer[0] not in q.options):
        add("single_answer", "error", f"a {q.type} question needs exactly one correct option")
    folded_options = [_folded(o) for o in q.options]
    if len(set(folded_options)) != len(folded_options):
        add("duplicate_option", "error", "two options are the same")
    quote = q.citation.quote
    if q.type in ("fill_in_blank", "single_choice") and not _supported(q.answer[0], quote):
        add("answer_unsupported", "error", f"the answer {q.answer[0]!r} does not appear in the cited quote")
    elif q.type == "multiple_choice":
        missing = [a for a in q.answer if not _mostly_supported(a, quote)]
        if missing:
            add("answer_unsupported", "warning", f"{len(missing)} correct option(s) not found in the quote")
    elif q.type == "short_answer" and not _mostly_supported(q.answer[0], quote):
        add("answer_unsupported", "warning", "the reference answer is not supported by the cited quote")
    if any(_INSTRUCTION.search(t) for t in (q.stem, *q.options, *q.answer)):
        add("instruction_in_text", "warning", "the question contains an instruction to a model")
    return findings


def question_errors(q: Question) -> list[Finding]:
    """The error-level findings of one question on its own: a key its quote or options do not support."""
    return [f for f in _check_question("question", q) if f.severity == "error"]


def check_grounding(
    module: Module, document: ExtractedDocument, others: Mapping[str, ExtractedDocument] | None = None
) -> list[Finding]:
    """Check citations, answers and duplicates of a module against the document it was written from
    (`others`: the documents by id, for the citations that name one — a module of several documents)."""
    findings: list[Finding] = []
    for location, citation in citations(module):
        findings += _check_citation(location, citation, document, others or {})
    stems: dict[str, int] = {}
    for i, q in enumerate(module.questions):
        findings += _check_question(f"questions[{i}]", q)
        first = stems.setdefault(_folded(q.stem), i)
        if first != i:
            findings.append(
                Finding(
                    rule="duplicate_question",
                    severity="error",
                    location=f"questions[{i}]",
                    message=f"the same question as questions[{first}]",
                )
            )
    for c, chapter in enumerate(module.chapters):
        for le, lesson in enumerate(chapter.lessons):
            if _INSTRUCTION.search(lesson.content):
                findings.append(
                    Finding(
                        rule="instruction_in_text",
                        severity="warning",
                        location=f"chapters[{c}].lessons[{le}]",
                        message="the lesson text contains an instruction to a model",
                    )
                )
    return findings
