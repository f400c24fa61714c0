"""`tutela generate` as a user runs it: a subprocess on a fresh data directory, offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tutela.authoring.generation.checks import quote_in_text
from tutela.authoring.generation.schemas import QUESTION_TYPES
from tutela.authoring.ingest import IngestLimits, extract_pdf

ROOT = Path(__file__).parents[2]
PDFS = ROOT / "tests" / "fixtures" / "pdf"
SUMMARY = re.compile(
    r"^tracemonkey\.pdf: 14 pages, \d+ chapters, \d+ lessons, (?P<questions>\d+) questions, "
    r"100% of \d+ citations verified, \d+\.\d s → .*module\.json$"
)


def _tutela(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "TUTELA_DATA_DIR": str(tmp_path / "data"),
        "TUTELA_AUTH__ARGON2_MEMORY_KIB": "8192",
        "TUTELA_AUTH__ARGON2_TIME_COST": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "tutela.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    tmp = tmp_path_factory.mktemp("cli")
    prompt = tmp / "prompt.txt"
    prompt.write_text("Focus on how traces are recorded.\n", encoding="utf-8")
    result = _tutela(
        tmp,
        "generate",
        str(PDFS / "real" / "tracemonkey.pdf"),
        "--out",
        str(tmp / "out"),
        "--prompt",
        str(prompt),
    )
    return result, tmp / "out"


def _module(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "module.json").read_text(encoding="utf-8"))
    return data


def test_prints_one_summary_line(generated: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, _ = generated
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and SUMMARY.match(lines[0]), result.stdout


def test_module_json_matches_the_published_schema(
    generated: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, out = generated
    schema = json.loads((ROOT / "schemas" / "module.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(_module(out), schema)
    assert (out / "module.md").read_text(encoding="utf-8").startswith("# ")
    assert json.loads((out / "checks.json").read_text(encoding="utf-8")) == []


def test_every_quote_is_on_its_page(generated: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = generated
    module = _module(out)
    document = extract_pdf((PDFS / "real" / "tracemonkey.pdf").read_bytes(), limits=IngestLimits())
    cited = [c for ch in module["chapters"] for le in ch["lessons"] for c in le["citations"]]
    cited += [q["citation"] for q in module["questions"]]
    assert cited
    for citation in cited:
        assert quote_in_text(citation["quote"], document.pages[citation["page"] - 1].text), citation


def test_enough_questions_of_every_type(generated: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = generated
    questions = _module(out)["questions"]
    assert len(questions) * 2 >= 14
    assert {q["type"] for q in questions} == set(QUESTION_TYPES)


def test_a_password_pdf_is_refused_in_one_line(tmp_path: Path) -> None:
    result = _tutela(
        tmp_path,
        "generate",
        str(PDFS / "real" / "libreoffice-writer-password.pdf"),
        "--out",
        str(tmp_path / "o"),
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: This PDF is password-protected; enter its password or upload an unprotected copy."
    )
    assert not (tmp_path / "o").exists()


def test_a_file_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.pdf"
    notes.write_text("just some notes, not a PDF\n", encoding="utf-8")
    result = _tutela(tmp_path, "generate", str(notes), "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: This file is not a PDF; export or save the document as PDF and upload it again."
    )
    assert "Traceback" not in result.stderr


def test_prints_what_could_not_be_made(tmp_path: Path) -> None:
    """A count the document cannot give: the module is written and a note says how many and why."""
    from tests.authoring.ingest.conftest import build_text_pdf

    pdf, prompt = tmp_path / "badges.pdf", tmp_path / "prompt.txt"
    pdf.write_bytes(
        build_text_pdf(
            [
                "Workplace Safety Basics",
                "All visitors must sign in at the front desk and wear a badge.",
                "Fire exits are marked in green; keep them clear at all times.",
            ]
        )
    )
    prompt.write_text("Write 12 questions in total.\n", encoding="utf-8")
    result = _tutela(tmp_path, "generate", str(pdf), "--out", str(tmp_path / "out"), "--prompt", str(prompt))
    assert result.returncode == 0, result.stderr
    made = len(_module(tmp_path / "out")["questions"])
    assert 0 < made < 12
    assert (
        f"note: {made} of the 12 questions asked for could be made: the source has too few passages suited "
        "to them"
    ) in result.stderr.splitlines()


def _storage_manual() -> str:
    """A manual in the corpus markup: long sections of prose, and one section that is only a table."""
    chemicals = ["Acetone", "Ethanol", "Hydrochloric acid", "Sodium hydroxide", "Toluene", "Methanol"]
    places = ["lower left", "lower right", "upper left", "upper right", "ventilated"]
    checks = ["leaks", "faded labels", "expired contents", "cracked caps"]

    def prose(routine: str, count: int) -> list[str]:
        return [
            f"In the {routine} routine, {chemicals[i % 6].lower()} from batch {100 + i} is kept on the "
            f"{places[i % 5]} shelf of cabinet {i % 7 + 1}. The technician on duty inspects its container "
            f"for {checks[i % 4]} every {i % 4 + 2} weeks and writes the result in the storage log. "
            f"A container that fails the inspection goes to the waste store within {i % 3 + 1} days.\n"
            for i in range(count)
        ]

    table = ["    | Code | Class | Shelf |"]
    table += [f"    | {c[:2].upper()}{i} | {c} | {places[i % 5]} |" for i, c in enumerate(chemicals)]
    lines = ["% title: Handling Chemicals Safely", "% author: A. Trainer", "% language: en", ""]
    lines += ["# Chapter 1. Storing chemicals", "", "## 1.1. Where chemicals are kept", ""]
    lines += prose("storage", 28)
    lines += [
        "## 1.2. Storage codes",
        "",
        *table,
        "",
        "## 1.3. Checking the cabinets",
        "",
        *prose("inspection", 28),
    ]
    lines += [
        "# Chapter 2. Working with chemicals",
        "",
        "## 2.1. Protective equipment",
        "",
        *prose("bench", 6),
    ]
    return "\n".join(lines)


def test_a_table_only_section_joins_the_lesson_before_and_front_matter_is_named(tmp_path: Path) -> None:
    """No lesson is made of a table alone, and the pages set aside as front matter are named."""
    from benchmarks.render_pdf import parse, render

    pdf = tmp_path / "manual.pdf"
    render(parse(_storage_manual()), pdf)
    result = _tutela(tmp_path, "generate", str(pdf), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    module = _module(tmp_path / "out")
    lessons = [le for ch in module["chapters"] for le in ch["lessons"]]
    assert "1.2. Storage codes" not in [le["title"] for le in lessons]
    assert "1.1. Where chemicals are kept" in [le["title"] for le in lessons]
    for lesson in lessons:
        for paragraph in lesson["content"].split("\n\n"):
            assert paragraph[:1].isupper() and paragraph.endswith("."), paragraph
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: Set aside")]
    assert len(notes) == 1 and "page 3 (front matter: contents)" in notes[0], result.stderr
