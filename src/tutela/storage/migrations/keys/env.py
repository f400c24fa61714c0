"""Alembic environment shared by Tutela's schemas: the engine and schema come from the config attributes."""

from __future__ import annotations

from alembic import context

from tutela.models import SCHEMAS

config = context.config
engine = config.attributes["engine"]
metadata = SCHEMAS[config.attributes["schema"]]

with engine.connect() as connection:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()
