"""authoring recordings: a source document's kind, media type and length

Revision ID: 5d1e0a7c3b92
Revises: 2213faab5125
Create Date: 2026-12-07 01:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1e0a7c3b92"
down_revision: str | Sequence[str] | None = "2213faab5125"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("authoring_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="pdf", nullable=False))
        batch_op.add_column(
            sa.Column("media_type", sa.String(length=64), server_default="application/pdf", nullable=False)
        )
        batch_op.add_column(sa.Column("duration_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authoring_documents", schema=None) as batch_op:
        batch_op.drop_column("duration_seconds")
        batch_op.drop_column("media_type")
        batch_op.drop_column("kind")
