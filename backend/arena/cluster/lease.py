"""Exactly one active engine per database: a PostgreSQL advisory lock held on a connection of its own.

PostgreSQL releases a session's advisory locks when the session ends, and a session ends when its
client's connection does: a killed engine (kill -9) closes its socket, and the server lets a
standby take the lock at once; a machine that vanishes is noticed by the server's TCP keepalives
(asked for on this connection) within about ten seconds. No lease row, no clock to trust.

Fencing: an engine that takes the lock raises the generation of the one `engine_lease` row, and
every batch it writes reads that row FOR SHARE in its own transaction and goes on only while the
generation is still its own (`fence`). The raise waits for the transactions holding the row, so
once a new engine is active no batch of the old one can commit, even one begun before the
takeover; a stalled old engine's next batch finds a newer generation and is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlmodel.ext.asyncio.session import AsyncSession

from arena.store.columns import to_micros
from arena.store.db import POSTGRES_KEEPALIVES
from arena.store.errors import StoreError

logger = logging.getLogger(__name__)

# the advisory lock's key (one 64-bit number per database; classid 0, objid this): "arena engine"
ENGINE_LOCK = 0x41524E45
_KEEPALIVE = {**POSTGRES_KEEPALIVES, "application_name": "arena-engine-lease"}
_FENCE = text("SELECT generation FROM engine_lease WHERE id = 1 FOR SHARE")
_RAISE = (
    "INSERT INTO engine_lease (id, generation, holder, taken_at) VALUES (1, 1, $1, $2)"
    " ON CONFLICT (id) DO UPDATE SET generation = engine_lease.generation + 1,"
    " holder = EXCLUDED.holder, taken_at = EXCLUDED.taken_at RETURNING generation"
)


class LeaseState(enum.StrEnum):
    STANDBY = "standby"  # waiting for the lock
    ACTIVE = "active"  # holding it: this engine runs the arena
    LOST = "lost"  # held it and lost it: this engine must stop


class EngineLease:
    """`await acquire()` waits until this process holds the lock; `await watch()` returns when it is
    lost; `fence(session)` refuses a write once it is."""

    def __init__(self, url: URL, *, retry_seconds: float = 0.5, heartbeat_seconds: float = 1.0) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._where = url.render_as_string(hide_password=True)
        self.retry_seconds = retry_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.state = LeaseState.STANDBY
        self.backend_pid: int | None = None  # the lock connection's server process
        self.generation: int | None = None  # the fencing generation this engine raised
        self._connection: Any = None
        self._lost = asyncio.Event()

    async def acquire(self) -> None:
        """Wait (standby) until the lock is ours; connection failures are retried, logged once each."""
        failing: str | None = None
        waiting_logged = False
        while True:
            try:
                if await self.try_acquire():
                    return
                if not waiting_logged:
                    logger.info("another engine holds the lease on %s: standing by", self._where)
                    waiting_logged = True
                failing = None
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if reason != failing:
                    logger.warning("engine lease: cannot reach %s (%s); retrying", self._where, reason)
                    failing = reason
                await self._drop_connection()
            await asyncio.sleep(self.retry_seconds)

    async def try_acquire(self) -> bool:
        """One attempt: True when the lock is now ours (connection failures raise)."""
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(self._dsn, server_settings=_KEEPALIVE, timeout=10)
        if not await self._connection.fetchval("SELECT pg_try_advisory_lock($1::bigint)", ENGINE_LOCK):
            return False
        self.backend_pid = int(await self._connection.fetchval("SELECT pg_backend_pid()"))
        # waits for any batch of the previous engine still open: it commits or rolls back first
        holder = f"{socket.gethostname()}:{os.getpid()}"
        self.generation = int(await self._connection.fetchval(_RAISE, holder, to_micros(datetime.now(UTC))))
        self.state = LeaseState.ACTIVE
        logger.info("engine lease taken on %s: this engine is active", self._where)
        return True

    async def watch(self) -> None:
        """Return once the lock is lost: its connection failed or stopped answering, or a write's
        fence found it gone."""
        assert self.state is not LeaseState.STANDBY, "acquire first"
        while self.state is LeaseState.ACTIVE:
            try:
                async with asyncio.timeout(self.heartbeat_seconds):
                    await self._lost.wait()
            except TimeoutError:
                pass
            if self.state is not LeaseState.ACTIVE:
                break
            try:
                await self._connection.fetchval("SELECT 1", timeout=max(self.heartbeat_seconds * 3, 2.0))
            except Exception as exc:  # whatever the failure, the lock is no longer known to be ours
                self.state = LeaseState.LOST
                logger.error("engine lease lost (%s: %s): this engine stops", type(exc).__name__, exc)
                return
        logger.error("engine lease lost (a write found the lock gone): this engine stops")

    async def fence(self, session: AsyncSession) -> None:
        """In a write's own transaction: refuse it unless this engine still holds the lock."""
        if self.state is not LeaseState.ACTIVE or self.generation is None:
            raise StoreError(f"this engine does not hold the engine lease ({self.state.value}); nothing is written")
        current = (await session.exec(_FENCE)).scalar()  # type: ignore[call-overload]
        if current != self.generation:
            self.state = LeaseState.LOST
            self._lost.set()
            raise StoreError("this engine lost the engine lease to another; nothing is written")

    async def release(self) -> None:
        if self._connection is not None and not self._connection.is_closed() and self.state is LeaseState.ACTIVE:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self._connection.execute("SELECT pg_advisory_unlock($1::bigint)", ENGINE_LOCK)
        await self._drop_connection()
        self.state = LeaseState.STANDBY

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)
