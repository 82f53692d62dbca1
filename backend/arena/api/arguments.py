"""Checking the arguments of fields: page sizes, limits and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from arena.errors import ArenaError, ErrorCode

MAX_PAGE = 500
MAX_EQUITY_POINTS = 10_000


def page_size(value: int | None, name: str, default: int = 50) -> int:
    if value is None:
        return default
    if not 1 <= value <= MAX_PAGE:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"{name} must be between 1 and {MAX_PAGE}", name)
    return value


def equity_limit(value: int) -> int:
    if not 1 <= value <= MAX_EQUITY_POINTS:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"limit must be between 1 and {MAX_EQUITY_POINTS}", "limit")
    return value


def aware(value: datetime | None) -> datetime | None:
    """A timestamp without an offset is taken as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
