"""Baseline: the tables as the arena created them before it had migrations.

A database made by those versions (tables, no alembic_version) is stamped with this
revision on open and upgraded from here. Column types are written out as SQLite stores
them (money as TEXT, times as BIGINT microseconds) so that this file never changes.

Revision ID: 0001
Revises:
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TEXT = sa.Text()  # exact decimals
TIME = sa.BigInteger()  # microseconds since the epoch, UTC
NAME = sa.String()


def upgrade() -> None:
    op.create_table(
        "competition",
        sa.Column("id", NAME, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("status", NAME, nullable=False),
        sa.Column("config_json", NAME, nullable=False),
        sa.Column("feed_kind", NAME, nullable=False),
        sa.Column("feed_description", NAME, nullable=False),
        sa.Column("starting_cash", TEXT, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("ended_at", TIME, nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("winner_agent_id", NAME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_competition_created", "competition", ["created_at", "id"])
    op.create_index("ix_competition_status", "competition", ["status"])

    op.create_table(
        "bot",
        sa.Column("id", NAME, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("token_hash", NAME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bot_name", "bot", ["name"])
    op.create_index("ix_bot_token_hash", "bot", ["token_hash"], unique=True)

    op.create_table(
        "entrant",
        sa.Column("id", NAME, nullable=False),
        sa.Column("competition_id", NAME, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("strategy", NAME, nullable=False),
        sa.Column("kind", NAME, nullable=False),
        sa.Column("params_json", NAME, nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_entrant_competition_id", "entrant", ["competition_id"])

    op.create_table(
        "price_tick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", NAME, nullable=False),
        sa.Column("price", TEXT, nullable=False),
        sa.Column("volume", TEXT, nullable=True),
        sa.Column("change_pct", sa.Float(), nullable=False),
        sa.Column("timestamp", TIME, nullable=False),
        sa.Column("competition_id", NAME, nullable=True),
        sa.Column("round", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_price_tick_symbol_timestamp", "price_tick", ["symbol", "timestamp"])

    op.create_table(
        "rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", NAME, nullable=False),
        sa.Column("agent_id", NAME, nullable=False),
        sa.Column("symbol", NAME, nullable=False),
        sa.Column("side", NAME, nullable=False),
        sa.Column("quantity", TEXT, nullable=True),
        sa.Column("notional", TEXT, nullable=True),
        sa.Column("client_order_id", NAME, nullable=True),
        sa.Column("code", NAME, nullable=False),
        sa.Column("reason", NAME, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rejection_competition_id", "rejection", ["competition_id"])

    op.create_table(
        "equity",
        sa.Column("agent_id", NAME, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("competition_id", NAME, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("equity", TEXT, nullable=False),
        sa.Column("cash", TEXT, nullable=False),
        sa.Column("realized_pnl", TEXT, nullable=False),
        sa.Column("unrealized_pnl", TEXT, nullable=False),
        sa.Column("return_pct", sa.Float(), nullable=False),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.Column("win_rate", sa.Float(), nullable=True),
        sa.Column("scars", sa.Integer(), nullable=False),
        sa.Column("max_drawdown", sa.Float(), nullable=False),
        sa.Column("sharpe", sa.Float(), nullable=True),
        sa.Column("profit_factor", sa.Float(), nullable=True),
        sa.Column("status", NAME, nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["entrant.id"]),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.PrimaryKeyConstraint("agent_id", "round"),
    )
    op.create_index("ix_equity_competition_round", "equity", ["competition_id", "round"])

    op.create_table(
        "fill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competition_id", NAME, nullable=False),
        sa.Column("agent_id", NAME, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("symbol", NAME, nullable=False),
        sa.Column("side", NAME, nullable=False),
        sa.Column("quantity", TEXT, nullable=False),
        sa.Column("price", TEXT, nullable=False),
        sa.Column("fee", TEXT, nullable=False),
        sa.Column("realized_pnl", TEXT, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("executed_at", TIME, nullable=False),
        sa.Column("client_order_id", NAME, nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["entrant.id"]),
        sa.ForeignKeyConstraint(["competition_id"], ["competition.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("competition_id", "seq", name="uq_fill_competition_seq"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_fill_agent_id", "fill", ["agent_id", "id"])
    op.create_index("ix_fill_competition_id", "fill", ["competition_id", "id"])
    op.create_index("ix_fill_symbol_id", "fill", ["symbol", "id"])


def downgrade() -> None:
    for table in ("fill", "equity", "rejection", "price_tick", "entrant", "bot", "competition"):
        op.drop_table(table)
