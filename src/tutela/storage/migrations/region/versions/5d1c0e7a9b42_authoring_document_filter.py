"""organizations.authoring_document_filter: how strictly authoring screens the organization's documents

Revision ID: 5d1c0e7a9b42
Revises: 5c1e2a9d7b40
Create Date: 2026-12-06 20:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d1c0e7a9b42'
down_revision: str | Sequence[str] | None = '5c1e2a9d7b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing organizations get the default ("high only"); new rows get theirs from the model.
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('authoring_document_filter', sa.String(length=8), nullable=False, server_default='high')
        )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('authoring_document_filter', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('authoring_document_filter')
