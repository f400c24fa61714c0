"""safety service keys: sealed API keys of a deployment's external safety services

Revision ID: 5c1e2a9d7b40
Revises: 0790fda7ef1b
Create Date: 2026-12-06 20:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tutela.storage.db

revision: str = "5c1e2a9d7b40"
down_revision: str | Sequence[str] | None = "0790fda7ef1b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_service_keys",
        sa.Column("deployment_id", sa.String(length=36), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("data_key_id", sa.String(length=36), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", tutela.storage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("deployment_id", "service"),
    )
    with op.batch_alter_table("safety_service_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_service_keys_deployment_id"), ["deployment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_service_keys_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_service_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_service_keys_org_id"))
        batch_op.drop_index(batch_op.f("ix_safety_service_keys_deployment_id"))
    op.drop_table("safety_service_keys")
