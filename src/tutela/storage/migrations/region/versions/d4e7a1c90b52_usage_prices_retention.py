"""deployment prices and usage retention

Revision ID: d4e7a1c90b52
Revises: 30313c0fd967
Create Date: 2026-12-07 01:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd4e7a1c90b52'
down_revision: str | Sequence[str] | None = '30313c0fd967'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_input_micros', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('price_output_micros', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('price_currency', sa.String(length=3), nullable=True))
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usage_retention_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('usage_retention_days')
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_column('price_currency')
        batch_op.drop_column('price_output_micros')
        batch_op.drop_column('price_input_micros')
