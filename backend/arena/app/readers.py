"""Read models for the API: the live competition from the runner's memory (always current),
anything else from the store. Everything here returns domain values; the API shapes them."""

from __future__ import annotations

from collections.abc import Sequence

from arena.app.runner import ArenaRunner
from arena.domain.account import MarkedPosition, mark_positions
from arena.domain.events import AgentSnapshot, EntrantInfo
from arena.domain.market import Quote
from arena.engine.competition import Competition
from arena.store import competitions, entrants, equity, prices
from arena.store.db import Database
from arena.store.rebuild import rebuild_accounts
from arena.store.tables import CompetitionRow


class ArenaReader:
    def __init__(self, runner: ArenaRunner, db: Database) -> None:
        self.runner = runner
        self.db = db

    def live(self, competition_id: str | None = None) -> Competition | None:
        """The runner's competition (if it is `competition_id`, when given), except between its end
        and the storing of that end: the store's view is the consistent one then."""
        live = self.runner.competition
        if live is not None and not self.runner.end_pending and (competition_id is None or live.id == competition_id):
            return live
        return None

    async def current_competition_id(self) -> str | None:
        """The runner's competition, else the newest recorded one."""
        live = self.runner.competition
        if live is not None:
            return live.id
        rows = await competitions.list_competitions(self.db, limit=1)
        return rows[0].id if rows else None

    async def standings(self, competition_id: str) -> list[AgentSnapshot]:
        """The agents of a competition ranked by equity: live, or as last recorded (their opening
        standing for agents that have no recorded round)."""
        return (await self.standings_of([competition_id])).get(competition_id, [])

    async def standings_of(self, competition_ids: Sequence[str]) -> dict[str, list[AgentSnapshot]]:
        """`standings` of several competitions: the live one from memory, the others in three
        statements however many they are (none of them known: no entry)."""
        found: dict[str, list[AgentSnapshot]] = {}
        recorded_ids = []
        for competition_id in competition_ids:
            live = self.live(competition_id)
            if live is not None:
                found[competition_id] = list(live.leaderboard())
            else:
                recorded_ids.append(competition_id)
        rows = await competitions.get_competitions(self.db, recorded_ids)
        ids = [i for i in recorded_ids if i in rows]
        latest = await equity.latest_standings_of(self.db, ids)
        everyone = await entrants.entrants_of(self.db, ids)
        for competition_id in ids:
            known = list(latest.get(competition_id, []))
            seen = {s.agent_id for s in known}
            for entrant in everyone.get(competition_id, []):
                if entrant.agent_id not in seen:
                    known.append(
                        AgentSnapshot.opening(entrant, rows[competition_id].starting_cash, rank=len(known) + 1)
                    )
            found[competition_id] = known
        return found

    async def entrant(self, agent_id: str) -> tuple[str, EntrantInfo] | None:
        """(competition id, entrant) of an agent."""
        return (await self.entrants_by_id([agent_id])).get(agent_id)

    async def entrants_by_id(self, agent_ids: Sequence[str]) -> dict[str, tuple[str, EntrantInfo]]:
        """(competition id, entrant) of each known agent id: the live ones from memory, the rest in one read."""
        live = self.runner.competition
        found: dict[str, tuple[str, EntrantInfo]] = {}
        rest = []
        for agent_id in agent_ids:
            if live is not None and agent_id in live.entrants:
                found[agent_id] = (live.id, live.entrants[agent_id].info)
            else:
                rest.append(agent_id)
        found.update(await entrants.get_entrants(self.db, rest))
        return found

    async def competition_rows(self, competition_ids: Sequence[str]) -> dict[str, CompetitionRow]:
        return await competitions.get_competitions(self.db, competition_ids)

    async def positions(self, competition_id: str) -> dict[str, list[MarkedPosition]]:
        """Every agent's open positions, marked at the competition's latest (or last) prices."""
        live = self.live(competition_id)
        if live is not None:
            return {agent_id: mark_positions(e.account, live.prices) for agent_id, e in live.entrants.items()}
        if await competitions.get_competition(self.db, competition_id) is None:
            return {}
        accounts = await rebuild_accounts(self.db, competition_id)  # one per entrant, traded or not
        marks = await prices.final_prices(self.db, competition_id)
        return {agent_id: mark_positions(account, marks) for agent_id, account in accounts.items()}

    async def wins_by_name(self) -> dict[str, int]:
        return await entrants.wins_by_agent_name(self.db)

    def current_feed_id(self) -> str | None:
        info = self.runner.feed_info
        return info.id if info else None

    async def latest_quotes(self, feed_id: str) -> list[Quote]:
        """The latest quote per symbol of a feed: from memory while it plays, else as last stored."""
        live = self.runner.prices.quotes(feed_id)
        if live:
            return live
        return await prices.latest_quotes(self.db, feed_id)
