"""merge authoring, content safety and monitoring

Revision ID: 47b3c66efb6d
Revises: 73e1cd081ec5, afe257a39fc7
Create Date: 2026-11-21 10:40:40.876183
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tutela.storage.db


revision: str = '47b3c66efb6d'
down_revision: str | Sequence[str] | None = ('73e1cd081ec5', 'afe257a39fc7')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
