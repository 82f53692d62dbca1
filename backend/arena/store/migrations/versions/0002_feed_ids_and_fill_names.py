"""Feeds have ids; fills carry their agent's name and the order as it was asked for.

- price_tick.feed_id (not null) says which feed a tick came from, so a competition's own
  simulation or replay never mixes with the shared market; the index becomes
  (feed_id, symbol, timestamp). Backfill: ticks that a competition's own feed played become
  `competition:<id>`; all others `legacy:market` (which shared feed made them was not recorded).
- competition.feed_id: `competition:<id>` for those that owned their feed, null for the others.
- fill.agent_name (not null), copied from the entrant; fill.requested_quantity and
  requested_notional, the order as asked (null for older fills: not recorded then); an index
  on (agent_id, client_order_id) for idempotent bot orders.

Revision ID: 0002
Revises: 0001
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = sa.String()
TEXT = sa.Text()
# configs are stored as compact JSON with sorted keys: an own feed is an object, the shared one null
OWNS_ITS_FEED = "config_json LIKE '%\"feed\":{%'"
LEGACY_MARKET = "legacy:market"


def _last_fill_id() -> int | None:
    """SQLite remembers the highest trade id ever given out (AUTOINCREMENT) in sqlite_sequence; a
    table rebuilt by batch mode would start from the highest id left instead."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    row = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'fill'")).first()
    return None if row is None else int(row[0])


def _keep_last_fill_id(last: int | None) -> None:
    if last is None:
        return
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'fill'"))
    bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('fill', :seq)"), {"seq": last})


def upgrade() -> None:
    last_fill_id = _last_fill_id()
    with op.batch_alter_table("competition") as batch:
        batch.add_column(sa.Column("feed_id", NAME, nullable=True))
    op.execute(f"UPDATE competition SET feed_id = 'competition:' || id WHERE {OWNS_ITS_FEED}")

    with op.batch_alter_table("price_tick") as batch:
        batch.add_column(sa.Column("feed_id", NAME, nullable=True))
    op.execute(
        "UPDATE price_tick SET feed_id = CASE"
        f" WHEN competition_id IN (SELECT id FROM competition WHERE {OWNS_ITS_FEED})"
        " THEN 'competition:' || competition_id"
        f" ELSE '{LEGACY_MARKET}' END"
    )
    with op.batch_alter_table("price_tick") as batch:
        batch.alter_column("feed_id", existing_type=NAME, nullable=False)
        batch.drop_index("ix_price_tick_symbol_timestamp")
        batch.create_index("ix_price_tick_feed_symbol_timestamp", ["feed_id", "symbol", "timestamp"])

    with op.batch_alter_table("fill", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("agent_name", NAME, nullable=True))
        batch.add_column(sa.Column("requested_quantity", TEXT, nullable=True))
        batch.add_column(sa.Column("requested_notional", TEXT, nullable=True))
    op.execute("UPDATE fill SET agent_name = (SELECT entrant.name FROM entrant WHERE entrant.id = fill.agent_id)")
    with op.batch_alter_table("fill", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("agent_name", existing_type=NAME, nullable=False)
        batch.create_index("ix_fill_agent_client_order", ["agent_id", "client_order_id"])
    _keep_last_fill_id(last_fill_id)


def downgrade() -> None:
    last_fill_id = _last_fill_id()
    with op.batch_alter_table("fill", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_fill_agent_client_order")
        batch.drop_column("requested_notional")
        batch.drop_column("requested_quantity")
        batch.drop_column("agent_name")
    _keep_last_fill_id(last_fill_id)
    with op.batch_alter_table("price_tick") as batch:
        batch.drop_index("ix_price_tick_feed_symbol_timestamp")
        batch.create_index("ix_price_tick_symbol_timestamp", ["symbol", "timestamp"])
        batch.drop_column("feed_id")
    with op.batch_alter_table("competition") as batch:
        batch.drop_column("feed_id")
