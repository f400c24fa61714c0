"""Autogenerate a migration for each schema whose models changed.

Usage: `python scripts/new_migration.py "message"`.
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tutela.models import SCHEMAS
from tutela.storage.db import open_engine
from tutela.storage.migrations import alembic_config, upgrade


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for schema, metadata in SCHEMAS.items():
            engine = open_engine(f"sqlite:///{tmp}/{schema}.db")
            upgrade(schema, engine)
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), metadata)
            if not diff:
                print(f"{schema}: no changes")
                continue
            command.revision(alembic_config(schema, engine), message=message, autogenerate=True)
            print(f"{schema}: {len(diff)} changes written")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "change")
