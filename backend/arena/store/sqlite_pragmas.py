"""The pragmas every SQLite connection of the arena runs with (the server's, and a writer process's)."""

from __future__ import annotations

from typing import Any

BUSY_TIMEOUT_MS = 5_000
PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never wait for the writer, nor the writer for them
    "PRAGMA synchronous=NORMAL",  # with WAL: durable at checkpoints, never corrupt; no fsync per commit
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


def apply_pragmas(connection: Any) -> None:
    """On a DB-API connection (sqlite3's own, or the one aiosqlite wraps)."""
    cursor = connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
