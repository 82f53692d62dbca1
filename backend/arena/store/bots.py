"""Registered bots: create, look up by token hash, revoke."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from sqlmodel import col, select

from arena.errors import ArenaError, ErrorCode
from arena.store.db import Database
from arena.store.tables import BotRow

TOKEN_PREFIX = "bot_"


def hash_token(token: str) -> str:
    # bot tokens are 192-bit random secrets, so a fast hash is enough (no password stretching needed)
    return hashlib.sha256(token.encode()).hexdigest()


async def register_bot(db: Database, name: str) -> tuple[BotRow, str]:
    """Returns the bot and its secret token (shown once; only its hash is stored)."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise ArenaError(ErrorCode.INVALID_INPUT, "bot name must be 1-64 characters", "name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    bot = BotRow(
        id="bot-" + uuid.uuid4().hex[:12], name=name, token_hash=hash_token(token), created_at=datetime.now(UTC)
    )
    async with db.session() as session:
        session.add(bot)
        await session.commit()
    return bot, token


async def bot_for_token(db: Database, token: str | None) -> BotRow | None:
    """The active bot holding this token, or None (unknown or revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    async with db.session() as session:
        bot = (await session.exec(select(BotRow).where(BotRow.token_hash == hash_token(token)))).first()
    if bot is None or bot.revoked_at is not None:
        return None
    return bot


async def get_bot(db: Database, bot_id: str) -> BotRow | None:
    async with db.session() as session:
        return await session.get(BotRow, bot_id)


async def list_bots(db: Database) -> list[BotRow]:
    async with db.session() as session:
        return list((await session.exec(select(BotRow).order_by(col(BotRow.created_at)))).all())


async def revoke_bot(db: Database, bot_id: str) -> BotRow:
    async with db.session() as session:
        bot = await session.get(BotRow, bot_id)
        if bot is None:
            raise ArenaError(ErrorCode.NOT_FOUND, f"no bot {bot_id!r}", "id")
        if bot.revoked_at is None:
            bot.revoked_at = datetime.now(UTC)
            session.add(bot)
            await session.commit()
            await session.refresh(bot)
        return bot
