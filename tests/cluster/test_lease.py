"""The engine lease on a real PostgreSQL: one holder at a time, handed on when released or lost,
and a write fenced off once its engine no longer holds it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

from arena.cluster.lease import EngineLease, LeaseState
from arena.store.db import Database
from arena.store.errors import StoreError


async def test_one_holder_at_a_time_and_the_next_takes_over_on_release(postgres_url: str) -> None:
    db = Database.open(postgres_url)
    first, second = EngineLease(db.url, retry_seconds=0.05), EngineLease(db.url, retry_seconds=0.05)
    try:
        await asyncio.wait_for(first.acquire(), 10)
        assert first.state is LeaseState.ACTIVE
        waiting = asyncio.create_task(second.acquire())
        done, _ = await asyncio.wait({waiting}, timeout=0.5)  # it keeps trying, every 50 ms
        assert not done and second.state is LeaseState.STANDBY
        await first.release()
        await asyncio.wait_for(waiting, 10)
        assert second.state is LeaseState.ACTIVE and second.backend_pid != first.backend_pid
    finally:
        await first.release()
        await second.release()
        await db.close()


async def test_a_lost_lease_is_noticed_and_fences_off_writes(postgres_url: str) -> None:
    db = Database.open(postgres_url)
    lease = EngineLease(db.url, heartbeat_seconds=0.05)
    try:
        await asyncio.wait_for(lease.acquire(), 10)
        async with db.session() as session, session.begin():
            await lease.fence(session)  # held: the write may go on
        killer = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await killer.fetchval("SELECT pg_terminate_backend($1)", lease.backend_pid)
        finally:
            await killer.close()
        async with db.session() as session, session.begin():
            with pytest.raises(StoreError, match="lost the engine lease"):
                await lease.fence(session)
            assert (await session.exec(text("SELECT 1"))).scalar() == 1  # type: ignore[call-overload]
        assert lease.state is LeaseState.LOST
        lease.state = LeaseState.ACTIVE  # as if the fence had not run: the heartbeat finds the loss too
        await asyncio.wait_for(lease.watch(), 10)
        assert lease.state is LeaseState.LOST
    finally:
        await lease.release()
        await db.close()
