"""Migrations build exactly the models' schema on SQLite and PostgreSQL, and run twice without harm."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.support.databases import settings_for
from tutela.models import SCHEMAS
from tutela.runtime import Runtime
from tutela.storage.migrations import alembic_config, upgrade_all


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migrations_match_the_models_and_are_idempotent(backend: str, tmp_path: Path) -> None:
    with settings_for(backend, tmp_path, regions=(("eu-fr", "EEA"), ("us-east", "US"))) as settings:
        runtime = Runtime(settings)
        try:
            upgrade_all(runtime)
            upgrade_all(runtime)  # a second run finds nothing to do
            engines = {"directory": [runtime.directory.engine]}
            engines["region"] = [r.db.engine for r in runtime.regions.values()]
            engines["keys"] = [r.keys_db.engine for r in runtime.regions.values()]
            for schema, schema_engines in engines.items():
                for engine in schema_engines:
                    with engine.connect() as conn:
                        diff = compare_metadata(MigrationContext.configure(conn), SCHEMAS[schema])
                    assert diff == [], (
                        f"{schema} on {engine.url.render_as_string()}: models and migrations differ"
                    )
        finally:
            runtime.close()


def test_each_schema_has_a_single_head() -> None:
    for schema in SCHEMAS:
        script = ScriptDirectory.from_config(alembic_config(schema, engine=None))  # type: ignore[arg-type]
        assert len(script.get_heads()) == 1, f"{schema} has several heads: add a merge revision"
