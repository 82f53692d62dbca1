"""Alembic's environment: migrations run on a connection handed over by `arena.store.migrate`.

`arena db upgrade` (and every `arena serve` / `arena run`) calls it with the database's own
connection; `render_as_batch` lets revisions alter SQLite tables (it recreates them).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import arena.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `arena db upgrade` (arena.store.migrate), which passes the connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
