"""What every read takes: a `Database` (it opens its own session) or an open `AsyncSession`
(so a caller can make several reads in one session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel.ext.asyncio.session import AsyncSession

from arena.errors import ArenaError, ErrorCode
from arena.store.db import Database

Source = Database | AsyncSession


@asynccontextmanager
async def session_of(source: Source) -> AsyncIterator[AsyncSession]:
    if isinstance(source, AsyncSession):
        yield source
    else:
        async with source.session() as session:
            yield session


def check_limit(limit: int) -> None:
    if limit < 1:
        raise ArenaError(ErrorCode.INVALID_INPUT, "limit must be at least 1", "limit")
