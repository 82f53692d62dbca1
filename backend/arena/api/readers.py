"""Read models: agents, leaderboards and competitions from the live runner or the store.

The live competition is read from the runner's memory (always current); anything
else comes from the database.
"""

from __future__ import annotations

import json
from decimal import Decimal

import strawberry

from arena.api.context import Context
from arena.api.types import Agent, Competition, LeaderboardEntry, Position, agent_from_snapshot
from arena.domain.account import Account
from arena.engine.competition import Competition as LiveCompetition
from arena.store import repository
from arena.store.rebuild import rebuild_accounts
from arena.store.tables import CompetitionRow, EntrantRow


def live_competition(ctx: Context, competition_id: str | None = None) -> LiveCompetition | None:
    live = ctx.state.runner.competition
    if live is not None and (competition_id is None or live.id == competition_id):
        return live
    return None


async def current_competition_id(ctx: Context) -> str | None:
    live = ctx.state.runner.competition
    if live is not None:
        return live.id
    rows = await repository.list_competitions(ctx.state.db, limit=1)
    return rows[0].id if rows else None


def _positions(account: Account, prices: dict[str, Decimal]) -> list[Position]:
    out = []
    for p in account.positions.values():
        price = prices.get(p.symbol)
        out.append(Position(
            symbol=p.symbol, quantity=p.quantity, average_price=p.average_price, cost_basis=p.cost_basis,
            market_price=price, market_value=None if price is None else p.quantity * price,
            unrealized_pnl=None if price is None else p.quantity * price - p.cost_basis,
        ))
    return out


def _entrant_row(live: LiveCompetition, agent_id: str) -> EntrantRow:
    info = live.entrants[agent_id].info
    return EntrantRow(id=info.agent_id, competition_id=live.id, name=info.name, strategy=info.strategy,
                      kind=info.kind, params_json=json.dumps(info.params), slot=info.slot)


async def agents_of(ctx: Context, competition_id: str) -> list[Agent]:
    """Agents ranked by equity."""
    wins = await repository.wins_by_agent_name(ctx.state.db)
    live = live_competition(ctx, competition_id)
    if live is not None:
        return [
            agent_from_snapshot(snap, _entrant_row(live, snap.agent_id),
                                _positions(live.entrants[snap.agent_id].account, live.prices),
                                wins.get(snap.name, 0), live.config.starting_cash)
            for snap in live.leaderboard()
        ]
    row = await repository.get_competition(ctx.state.db, competition_id)
    if row is None:
        return []
    entrants = {e.id: e for e in await repository.list_entrants(ctx.state.db, competition_id)}
    snapshots = {s.agent_id: s for s in await repository.latest_snapshots(ctx.state.db, competition_id)}
    accounts = await rebuild_accounts(ctx.state.db, competition_id)
    prices = await repository.final_prices(ctx.state.db, competition_id)
    agents = [
        agent_from_snapshot(snapshots.get(agent_id), entrant,
                            _positions(accounts.get(agent_id) or Account.open(row.starting_cash), prices),
                            wins.get(entrant.name, 0), row.starting_cash)
        for agent_id, entrant in entrants.items()
    ]
    agents.sort(key=lambda a: a.rank)
    return agents


def leaderboard_of(agents: list[Agent]) -> list[LeaderboardEntry]:
    return [LeaderboardEntry(rank=a.rank, agent=a, equity=a.equity, return_pct=a.return_pct) for a in agents]


async def competition_by_id(ctx: Context, competition_id: str) -> Competition | None:
    row = await repository.get_competition(ctx.state.db, competition_id)
    if row is None:
        return None
    return await competition_from_row(ctx, row)


async def competition_from_row(ctx: Context, row: CompetitionRow) -> Competition:
    live = live_competition(ctx, row.id)
    board = leaderboard_of(await agents_of(ctx, row.id))
    competition = Competition.from_row(row, board)
    if live is not None:
        competition.status = live.status
        competition.round = live.round
    return competition


async def agent_by_id(ctx: Context, agent_id: str) -> Agent | None:
    live = ctx.state.runner.competition
    if live is not None and agent_id in live.entrants:
        competition_id = live.id
    else:
        competition_id = agent_id.rsplit("-", 1)[0]
    return next((a for a in await agents_of(ctx, competition_id) if a.id == strawberry.ID(agent_id)), None)


async def agent_names(ctx: Context, competition_id: str | None) -> dict[str, str]:
    live = ctx.state.runner.competition
    names = {a: e.info.name for a, e in live.entrants.items()} if live else {}
    if competition_id and not live_competition(ctx, competition_id):
        names.update({e.id: e.name for e in await repository.list_entrants(ctx.state.db, competition_id)})
    return names
