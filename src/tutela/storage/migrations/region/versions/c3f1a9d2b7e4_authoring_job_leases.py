"""authoring job leases, and one module per job

Revision ID: c3f1a9d2b7e4
Revises: 5d1c0e7a9b42
Create Date: 2026-12-06 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c3f1a9d2b7e4'
down_revision: str | Sequence[str] | None = '5d1c0e7a9b42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('authoring_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_authoring_jobs_status_lease', ['status', 'lease_expires_at'], unique=False)
    with op.batch_alter_table('authoring_jobs', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)
    with op.batch_alter_table('authoring_modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_authoring_modules_job_id', ['job_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('authoring_modules', schema=None) as batch_op:
        batch_op.drop_index('ix_authoring_modules_job_id')
        batch_op.drop_column('job_id')
    with op.batch_alter_table('authoring_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_authoring_jobs_status_lease')
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('lease_owner')
        batch_op.drop_column('attempts')
