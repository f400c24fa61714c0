"""Turn a source text as published into the corpus's light markup (how the committed .txt.gz files were made).

    python benchmarks/corpus/convert.py debian-reference RAW.txt LANG OUT.txt.gz
    python benchmarks/corpus/convert.py gutenberg RAW.txt OUT.txt.gz --title T --author A --language en

The markup, read by benchmarks/render_pdf.py:

    % key: value        metadata (title, author, language, rights, source) at the top
    # Heading           chapter (starts a new page); ## section; ### subsection
    text on one line    one paragraph per line, blank line between paragraphs
        indented line   preformatted (commands, tables), consecutive lines form one block
    ... word[^3] ...    footnote marker; its text on a line "[^3]: text" anywhere in the file

Nothing here runs in the benchmarks: it documents and reproduces the corpus (see SOURCES.md).
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

_DEBIAN_CHAPTER = re.compile(
    r"^(Chapter|Chapitre|Kapitel|Capítulo|Appendix|Annexe|Anhang|Apéndice) [0-9A-Z]+\. \S"
)
_DEBIAN_SECTION = re.compile(r"^[0-9A-Z]+(\.[0-9]+)*\. \S")
_PROSE_END = re.compile(r"[.:;!?)»\"”]$")


def _is_prose(lines: list[str]) -> bool:
    text = " ".join(line.strip() for line in lines)
    words = text.split()
    if len(words) < 6 or lines[0].lstrip().startswith(("|", "+-", "$ ", "# ", "* ")):
        return False
    return bool(_PROSE_END.search(text)) and sum(1 for w in words if w.isalpha()) >= len(words) / 2


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def debian_reference(raw: str, language: str) -> str:
    """Debian Reference's plain-text edition: numbered headings at column 0, body indented by four."""
    lines = raw.replace("\u00a0", " ").splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    contents = next(i for i in range(rule + 1, len(lines)) if lines[i].strip())
    preface = next(line for line in lines[contents + 1 :] if line.strip() and not line[0].isspace())
    first_chapter = next(i for i, line in enumerate(lines) if _DEBIAN_CHAPTER.match(line))
    start = max(i for i, line in enumerate(lines[:first_chapter]) if line == preface)
    own_contents = next(i for i in range(start + 1, len(lines)) if lines[i].strip())
    own_contents_end = next(i for i in range(own_contents + 2, len(lines)) if not lines[i].strip())
    lines = lines[: start + 1] + lines[own_contents_end:]
    first_chapter = next(i for i, line in enumerate(lines) if _DEBIAN_CHAPTER.match(line))
    out = [
        "% title: Debian Reference",
        "% author: Osamu Aoki",
        f"% language: {language}",
        "% rights: Copyright © 2013-2021 Osamu Aoki. This book is free; you may redistribute it and/or"
        " modify it under the terms of the GNU General Public License of any version compliant to the"
        " Debian Free Software Guidelines (DFSG).",
        "",
    ]
    body: list[str] = []
    for index, line in enumerate(lines[start:], start):
        if line == preface or _DEBIAN_CHAPTER.match(line) or _DEBIAN_SECTION.match(line):
            out.extend(_flush(body))
            body = []
            if _DEBIAN_SECTION.match(line):
                dots = line.split(" ")[0].count(".") + (1 if index < first_chapter else 0)
                depth = max(2, min(dots, 3))
                out.extend([f"{'#' * depth} {line.strip()}", ""])
            else:
                out.extend([f"# {line.strip()}", ""])
        else:
            body.append(line)
    out.extend(_flush(body))
    return "\n".join(_without_empty_sections(out)) + "\n"


def _without_empty_sections(lines: list[str]) -> list[str]:
    """Drop section headings with no text under them before the next heading of the same level."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        following = next((later for later in lines[index + 1 :] if later), "# end")
        level = len(line) - len(line.lstrip("#"))
        next_level = len(following) - len(following.lstrip("#"))
        if not (line.startswith("##") and following.startswith("#") and next_level <= level):
            kept.append(line)
    return kept


def _flush(body: list[str]) -> list[str]:
    out: list[str] = []
    for block in _blocks(body):
        if _is_prose(block):
            out.extend([" ".join(line.strip() for line in block), ""])
        else:
            out.extend(["    " + line.strip() for line in block] + [""])
    return out


_GUTENBERG_START = re.compile(r"\*\*\* ?START OF TH(E|IS) PROJECT GUTENBERG EBOOK[^\n]*", re.IGNORECASE)
_GUTENBERG_END = re.compile(r"\*\*\* ?END OF TH(E|IS) PROJECT GUTENBERG EBOOK", re.IGNORECASE)
_FOOTNOTE = re.compile(r"\[Footnote (\w+): (.*?)\]", re.DOTALL)
_ITALIC_HEADING = re.compile(r"^_([A-Z][^_]{2,80})\._$")
_CAPS_HEADING = re.compile(r"^(PART|CHAPTER|ARTICLE|SECTION)\b[^a-z]{0,80}$|^[A-Z][A-Z ,.'-]{5,60}\.?$")


def gutenberg(raw: str, *, title: str, author: str, language: str, source: str) -> str:
    """A Project Gutenberg plain-text book: licence header and footer dropped, headings and notes marked."""
    body = _GUTENBERG_END.split(_GUTENBERG_START.split(raw, maxsplit=1)[-1], maxsplit=1)[0]
    notes: list[str] = []

    def note(match: re.Match[str]) -> str:
        notes.append(f"[^{match.group(1)}]: {' '.join(match.group(2).split())}")
        return ""

    body = _FOOTNOTE.sub(note, body)
    body = re.sub(r"\[(\d{1,3})\]", r"[^\1]", body)
    out = [f"% title: {title}", f"% author: {author}", f"% language: {language}", f"% source: {source}", ""]
    for block in _blocks(body.splitlines()):
        first = block[0].strip()
        if len(block) == 1 and _CAPS_HEADING.match(first):
            level = "#" if first.startswith(("PART", "CHAPTER")) else "##"
            out.extend([f"{level} {first.rstrip('.')}", ""])
        elif len(block) == 1 and _ITALIC_HEADING.match(first):
            out.extend([f"### {_ITALIC_HEADING.match(first).group(1)}", ""])  # type: ignore[union-attr]
        elif _is_prose(block) and not block[0].startswith("    "):
            out.extend([" ".join(line.strip().replace("_", "") for line in block), ""])
        else:
            out.extend(["    " + line.rstrip() for line in block] + [""])
    return "\n".join(out + notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("kind", choices=["debian-reference", "gutenberg"])
    parser.add_argument("raw", type=Path)
    parser.add_argument("rest", nargs="+")
    parser.add_argument("--title", default="")
    parser.add_argument("--author", default="")
    parser.add_argument("--language", default="en")
    parser.add_argument("--source", default="")
    args = parser.parse_args()
    raw = args.raw.read_text(encoding="utf-8")
    if args.kind == "debian-reference":
        language, out = args.rest
        text = debian_reference(raw, language)
    else:
        (out,) = args.rest
        text = gutenberg(
            raw, title=args.title, author=args.author, language=args.language, source=args.source
        )
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
