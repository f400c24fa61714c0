"""item decisions

Revision ID: 4d8e1c2b9a70
Revises: e5f8b2d0c3a4
Create Date: 2026-12-07 01:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tutela.storage.db


revision: str = '4d8e1c2b9a70'
down_revision: str | Sequence[str] | None = 'e5f8b2d0c3a4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('authoring_item_decisions',
    sa.Column('module_id', sa.String(length=36), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', tutela.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['authoring_modules.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('module_id', 'item', name='uq_authoring_item_decisions_item')
    )
    with op.batch_alter_table('authoring_item_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authoring_item_decisions_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authoring_item_decisions_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('authoring_item_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authoring_item_decisions_org_id'))
        batch_op.drop_index(batch_op.f('ix_authoring_item_decisions_module_id'))

    op.drop_table('authoring_item_decisions')
