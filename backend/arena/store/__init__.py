"""Persistence: SQLite through SQLModel/SQLAlchemy (async). Records events, answers reads.

* `db.Database` - the engine, pragmas and sessions; `migrations` - the schema's Alembic history,
  applied by `migrate.upgrade` when the database opens
* `tables` - the rows; `columns` - exact Decimal and aware datetime column types
* `recorder.Recorder` - commits event batches (the store sink): `plan` turns a batch into rows
  (`event_rows` for the rare tables), `bulk` renders the statements, run on the recorder's own
  connection or by `writer`, a writer process of their own (backtests on an SQLite file)
* reads by noun: `competitions`, `entrants`, `equity`, `fills`, `prices`, `bots`; `candles` - OHLC
* `rebuild.rebuild_accounts` - accounts replayed from persisted fills
"""
