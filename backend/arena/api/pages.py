"""Relay pages of trades and decisions, the same wherever they hang: at the root, under an agent,
under a competition. Newest first; cursors are row ids, stable under inserts."""

from __future__ import annotations

from typing import Any

from arena.api.arguments import page_size
from arena.api.context import Context
from arena.api.ids import decode_cursor, encode_cursor
from arena.api.types.common import PageInfo
from arena.api.types.decisions import DecisionConnection, DecisionEdge, DecisionNode
from arena.api.types.trades import Trade, TradeConnection, TradeEdge
from arena.domain.orders import Side
from arena.errors import ArenaError, ErrorCode
from arena.store import decisions, fills
from arena.store.decisions import decision_of
from arena.store.tables import FillRow


def page_info(edges: list[Any], has_next: bool, has_previous: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


async def trade_page(
    ctx: Context,
    *,
    competition_id: str | None = None,
    agent_id: str | None = None,
    symbol: str | None = None,
    side: Side | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> TradeConnection:
    if first is not None and last is not None:
        raise ArenaError(ErrorCode.INVALID_INPUT, "give first or last, not both", "first")
    db = ctx.state.db
    filters: dict[str, Any] = {"competition_id": competition_id, "agent_id": agent_id, "symbol": symbol, "side": side}
    if last is not None:
        # the `last` items of the newest-first list are the oldest ones (after `before`): read them
        # oldest first, then show them newest first like every page
        limit = page_size(last, "last")
        after_id = decode_cursor(before) if before else None
        rows = await fills.list_fills(db, **filters, after_id=after_id, newest_first=False, limit=limit + 1)
        page, has_previous, has_next = rows[:limit][::-1], len(rows) > limit, before is not None
    else:
        limit = page_size(first, "first")
        before_id = decode_cursor(after) if after else None
        rows = await fills.list_fills(db, **filters, before_id=before_id, limit=limit + 1)
        page, has_next, has_previous = rows[:limit], len(rows) > limit, after is not None
    edges = [TradeEdge(cursor=encode_cursor(r.id or 0), node=Trade.from_row(r)) for r in page]
    return TradeConnection(
        edges=edges,
        count=lambda: fills.count_fills(db, **filters),
        page_info=page_info(edges, has_next, has_previous),
    )


async def decision_page(
    ctx: Context,
    *,
    competition_id: str | None = None,
    agent_id: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> DecisionConnection:
    db = ctx.state.db
    filters: dict[str, Any] = {"competition_id": competition_id, "agent_id": agent_id}
    limit = page_size(first, "first")
    before_id = decode_cursor(after) if after else None
    rows = await decisions.list_decisions(db, **filters, before_id=before_id, limit=limit + 1)
    edges = [DecisionEdge(cursor=encode_cursor(r.id or 0), node=DecisionNode.of(decision_of(r))) for r in rows[:limit]]
    return DecisionConnection(
        edges=edges,
        count=lambda: decisions.count_decisions(db, **filters),
        page_info=page_info(edges, len(rows) > limit, after is not None),
    )


async def newest_trades_page(ctx: Context, agent_id: str, first: int | None) -> TradeConnection:
    """An agent's first page of trades (no cursor, no filter): loaded with the other agents' of the
    same request in one statement however many agents there are (and their counts in one more,
    if asked for)."""
    limit = page_size(first, "first")

    async def load(agent_ids: list[str]) -> list[list[FillRow]]:
        rows = await fills.newest_fills_of(ctx.state.db, agent_ids, limit + 1)
        return [rows[a] for a in agent_ids]

    async def load_counts(agent_ids: list[str]) -> list[int]:
        counts = await fills.fill_counts_of(ctx.state.db, agent_ids)
        return [counts[a] for a in agent_ids]

    rows: list[FillRow] = await ctx.loader(f"newest-trades:{limit}", load).load(agent_id)
    edges = [TradeEdge(cursor=encode_cursor(r.id or 0), node=Trade.from_row(r)) for r in rows[:limit]]
    return TradeConnection(
        edges=edges,
        count=lambda: ctx.loader("trade-counts", load_counts).load(agent_id),
        page_info=page_info(edges, len(rows) > limit, False),
    )
