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
    await db.init()
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


async def _terminate(postgres_url: str, pid: int | None) -> None:
    killer = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()


async def test_a_takeover_waits_for_the_old_engines_open_batch_then_fences_it_off(postgres_url: str) -> None:
    db = Database.open(postgres_url)
    await db.init()  # the engine_lease table
    old, new = EngineLease(db.url, heartbeat_seconds=0.05), EngineLease(db.url, retry_seconds=0.05)
    try:
        await asyncio.wait_for(old.acquire(), 10)
        async with db.session() as session, session.begin():
            await old.fence(session)  # a batch of the old engine, open
            await _terminate(postgres_url, old.backend_pid)  # its lock goes: the new one may take it...
            taking = asyncio.create_task(new.acquire())
            done, _ = await asyncio.wait({taking}, timeout=0.5)
            assert not done, "...but not while the old engine's batch can still commit"
        await asyncio.wait_for(taking, 10)
        assert new.state is LeaseState.ACTIVE and new.generation == (old.generation or 0) + 1
        async with db.session() as session, session.begin():
            with pytest.raises(StoreError, match="lost the engine lease to another"):
                await old.fence(session)  # its next batch: refused
            await new.fence(session)
            assert (await session.exec(text("SELECT 1"))).scalar() == 1  # type: ignore[call-overload]
        assert old.state is LeaseState.LOST
        await asyncio.wait_for(old.watch(), 10)  # the fenced write ends its watch
    finally:
        await old.release()
        await new.release()
        await db.close()


async def test_a_lost_lock_connection_is_noticed_by_the_heartbeat(postgres_url: str) -> None:
    db = Database.open(postgres_url)
    await db.init()
    lease = EngineLease(db.url, heartbeat_seconds=0.05)
    try:
        await asyncio.wait_for(lease.acquire(), 10)
        await _terminate(postgres_url, lease.backend_pid)
        await asyncio.wait_for(lease.watch(), 10)
        assert lease.state is LeaseState.LOST
    finally:
        await lease.release()
        await db.close()
