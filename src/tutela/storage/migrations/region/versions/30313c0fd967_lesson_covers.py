"""lesson covers

Revision ID: 30313c0fd967
Revises: 1db75fe6c115
Create Date: 2026-12-07 00:09:35.922910
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '30313c0fd967'
down_revision: str | Sequence[str] | None = '1db75fe6c115'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The old one-cover-per-module constraint had no name: PostgreSQL named it itself; SQLite's is found
# through this naming convention when the batch operation copies the table.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique() -> str:
    if op.get_bind().dialect.name == "sqlite":
        return "uq_authoring_module_covers_module_id"
    return "authoring_module_covers_module_id_key"


def upgrade() -> None:
    with op.batch_alter_table('authoring_module_covers', naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.add_column(sa.Column('lesson', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(_old_unique(), type_='unique')
        batch_op.create_unique_constraint('uq_authoring_module_covers_lesson', ['module_id', 'lesson'])


def downgrade() -> None:
    op.execute("DELETE FROM authoring_module_covers WHERE lesson <> 0")
    with op.batch_alter_table('authoring_module_covers', naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint('uq_authoring_module_covers_lesson', type_='unique')
        batch_op.drop_column('lesson')
        batch_op.create_unique_constraint(_old_unique(), ['module_id'])
