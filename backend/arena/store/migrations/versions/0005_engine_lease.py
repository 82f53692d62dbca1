"""The engine lease's fencing row: one row whose generation each engine that takes the lease raises.

Every batch an engine writes reads the row FOR SHARE in its own transaction and goes on only while
the generation is the one it raised; a takeover's raise waits for those transactions to end, so no
batch of an old engine can commit after a new one took over. (SQLite, one process by design, has
the table and never uses it.)

Revision ID: 0005
Revises: 0004
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_lease",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("taken_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("engine_lease")
