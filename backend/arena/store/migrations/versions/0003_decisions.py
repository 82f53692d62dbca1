"""Model agents' decisions: one row per decision, with its prompt, answer, actions and orders.

Revision ID: 0003
Revises: 0002
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from arena.store.columns import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("competition_id", sa.String(), sa.ForeignKey("competition.id"), nullable=False),
        sa.Column("agent_id", sa.String(), sa.ForeignKey("entrant.id"), nullable=False),
        sa.Column("agent_name", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("asked_round", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("response", sa.String(), nullable=True),
        sa.Column("actions_json", sa.String(), nullable=False),
        sa.Column("orders_json", sa.String(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.UniqueConstraint("competition_id", "seq", name="uq_decision_competition_seq"),
    )
    op.create_index("ix_decision_competition_id", "decision", ["competition_id", "id"])
    op.create_index("ix_decision_agent_id", "decision", ["agent_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_decision_agent_id", "decision")
    op.drop_index("ix_decision_competition_id", "decision")
    op.drop_table("decision")
