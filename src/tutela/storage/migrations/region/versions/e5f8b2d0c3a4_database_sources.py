"""database sources for data_sources of type postgresql

Revision ID: e5f8b2d0c3a4
Revises: d4e7a1c9b2f3
Create Date: 2026-12-07 02:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tutela.storage.db

revision: str = "e5f8b2d0c3a4"
down_revision: str | Sequence[str] | None = "d4e7a1c9b2f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "database_sources",
        sa.Column("resource_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("statement_timeout_ms", sa.Integer(), nullable=False),
        sa.Column("sealed_dsn", sa.LargeBinary(), nullable=False),
        sa.Column("dsn_data_key_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", tutela.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resource_id"], ["ai_resources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resource_id", "name"),
    )
    with op.batch_alter_table("database_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_database_sources_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_database_sources_resource_id"), ["resource_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("database_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_database_sources_resource_id"))
        batch_op.drop_index(batch_op.f("ix_database_sources_org_id"))
    op.drop_table("database_sources")
