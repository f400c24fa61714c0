"""module sources: the documents a module was written from, when several

Revision ID: 4b7d1e0c9a21
Revises: 4d8e1c2b9a70
Create Date: 2026-12-07 01:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tutela.storage.db


revision: str = '4b7d1e0c9a21'
down_revision: str | Sequence[str] | None = '4d8e1c2b9a70'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('authoring_module_sources',
    sa.Column('module_id', sa.String(length=36), nullable=False),
    sa.Column('document_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', tutela.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['authoring_documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['authoring_modules.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('module_id', 'document_id')
    )
    with op.batch_alter_table('authoring_module_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authoring_module_sources_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authoring_module_sources_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authoring_module_sources_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_table('authoring_module_sources')
