"""Alembic migrations for the three schemas: directory, region data, region key store.

Each schema has its own script folder and version table, and `upgrade_all` brings every database of a
deployment to head: the directory once, then every region's data database and key store.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from tutela.runtime import Runtime

HERE = Path(__file__).parent


def alembic_config(schema: str, engine: Engine) -> Config:
    """An Alembic config for one schema bound to one engine."""
    config = Config()
    config.set_main_option("script_location", str(HERE / schema))
    config.attributes["engine"] = engine
    config.attributes["schema"] = schema
    return config


def upgrade(schema: str, engine: Engine, revision: str = "heads") -> None:
    """Bring one database to a revision ("heads": every branch, so parallel feature branches apply)."""
    command.upgrade(alembic_config(schema, engine), revision)


def upgrade_all(runtime: Runtime) -> list[str]:
    """Migrate every database of the deployment; returns what was migrated."""
    done = []
    upgrade("directory", runtime.directory.engine)
    done.append("directory")
    for region in runtime.regions.values():
        upgrade("region", region.db.engine)
        upgrade("keys", region.keys_db.engine)
        done.append(f"region {region.name}")
    return done
