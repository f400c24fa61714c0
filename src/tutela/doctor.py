"""`tutela doctor`: the state of every component Tutela needs or may use, in one report.

Each check is small, read-only and independent: one failing never hides the others. States:

    ok        present and working
    absent    an optional component that is not installed (Tutela runs without it)
    failed    present but unusable: what depends on it answers 503 until it is repaired

`tutela serve` logs the same report at start, so an incomplete installation is named before the first
request rather than discovered by it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from tutela.errors import TutelaError
from tutela.runtime import Region, Runtime
from tutela.storage.db import Database

log = logging.getLogger("tutela.doctor")


@dataclass(frozen=True)
class Component:
    """One line of the report."""

    name: str
    state: str  # ok | absent | failed
    detail: str


def _embedding_model() -> str:
    from tutela.gateway.providers.extractive import embeddings

    embeddings.verify_files()
    return f"all-MiniLM-L6-v2, both files match their SHA-256 ({embeddings.default_model_dir()})"


def _classifier() -> str:
    from tutela.gateway.safety.classifier import SafetyClassifier

    SafetyClassifier.load()
    return "content-safety classifier loaded (hash-checked)"


def _english_parser() -> str:
    from tutela.gateway.providers.extractive import nlp

    directory = nlp.model_dir()
    nlp.verify(directory)
    return f"spaCy English parser, every file matches its SHA-256 ({directory})"


def _name_lists() -> str:
    from tutela.gateway.pii import names

    given, surnames = names.name_lists()
    return (
        f"census name lists for PII pseudonymisation ({len(given):,} given names, {len(surnames):,} "
        "surnames), every file matches its SHA-256"
    )


def _speech_model() -> str:
    from tutela.gateway.providers.whisper import model

    directory = model.model_dir()
    model.verified_files(directory)
    model.verified_vad()
    return f"{model.MODEL_NAME} (English only) and its VAD, every file matches its SHA-256 ({directory})"


def _check(name: str, probe: Callable[[], str]) -> Component:
    try:
        return Component(name, "ok", probe())
    except TutelaError as exc:
        return Component(name, "failed", exc.message)
    except Exception as exc:  # noqa: BLE001 - a report names every failure instead of stopping at one
        return Component(name, "failed", f"{type(exc).__name__}: {exc}".splitlines()[0][:300])


def _database(database: Database) -> Callable[[], str]:
    def probe() -> str:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return database.url.split(":", 1)[0]  # the engine's name only: a URL may hold a password

    return probe


def _blobs(region: Region) -> Callable[[], str]:
    def probe() -> str:
        store = region.blobs
        store.exists("doctor-probe")
        return "S3-compatible" if region.settings.blobs_url.startswith("s3://") else "local folder"

    return probe


def report(runtime: Runtime) -> list[Component]:
    """Check every component; never raises."""
    components = [
        _check("embedding model", _embedding_model),
        _check("safety classifier", _classifier),
        _check("NLP models", _english_parser),
        _check("speech model", _speech_model),
        _check("person name lists", _name_lists),
        _check("directory database", _database(runtime.directory)),
    ]
    for name, region in runtime.regions.items():
        components += [
            _check(f"region {name}: database", _database(region.db)),
            _check(f"region {name}: key store", _database(region.keys_db)),
            _check(f"region {name}: blob store", _blobs(region)),
        ]
    components.append(_check("jobs backend", lambda: _jobs(runtime)))
    return components


def _jobs(runtime: Runtime) -> str:
    from tutela.storage.jobs import make_huey

    settings = runtime.settings.jobs
    pending = make_huey(runtime.settings).pending_count()
    where = "in process" if settings.run_in_process else "on `tutela worker` processes"
    return f"{settings.backend}, {pending} jobs waiting, run {where}"


def log_report(components: list[Component]) -> None:
    """Log each component (serve at start): failures as errors, the rest as info."""
    for component in components:
        level = logging.ERROR if component.state == "failed" else logging.INFO
        log.log(level, "%s: %s (%s)", component.name, component.state, component.detail)
