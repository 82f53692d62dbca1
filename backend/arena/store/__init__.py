"""Persistence: SQLite through SQLModel/SQLAlchemy (async). Records events, answers reads.

* `db.Database` - the engine, pragmas and sessions
* `tables` - the rows; `types` - exact Decimal and aware datetime columns
* `recorder.Recorder` - commits event batches (the first sink)
* `repository` - reads; `candles` - OHLC aggregation
* `rebuild.rebuild_accounts` - accounts replayed from persisted fills
"""

from arena.store.candles import Candle
from arena.store.db import Database
from arena.store.errors import CorruptLedgerError, RecordError, StoreError
from arena.store.rebuild import rebuild_accounts
from arena.store.recorder import Recorder

__all__ = [
    "Candle",
    "CorruptLedgerError",
    "Database",
    "RecordError",
    "Recorder",
    "StoreError",
    "rebuild_accounts",
]
