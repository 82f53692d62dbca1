"""What every resolver gets: the running arena, its read models, and who is asking.

Reads that many fields of one request share (a competition's standings, positions, the wins
table) are made once per HTTP request: `Context.once` keeps the first call's task. Objects that
many rows refer to (competitions, agents' entries, standings) are loaded in batches by
DataLoaders: every key asked for in one tick of the loop is read in one statement. A websocket's
context lives as long as the connection and serves every event of its subscriptions, so there
nothing is kept: a field that reads (an agent's positions, say) reads again for each event (its
loaders still batch, but do not cache). A subscription group's shared execution has a context
of its own, with no request (see `arena.api.fanout`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from arena.api.auth import TokenCheck, bearer_token
from arena.api.ratelimit import RateLimiter
from arena.domain.account import MarkedPosition
from arena.domain.events import AgentSnapshot, EntrantInfo
from arena.errors import ArenaError, ErrorCode
from arena.store.bots import bot_for_token
from arena.store.tables import BotRow, CompetitionRow

if TYPE_CHECKING:
    from arena.alerts.service import AlertService
    from arena.api.fanout.groups import FanoutHub
    from arena.api.fanout.phase import SubscriptionPhase
    from arena.api.query_cache import StoredReadCache
    from arena.app.readers import ArenaReader
    from arena.app.runner import ArenaRunner
    from arena.broker.pubsub import PubSub
    from arena.cluster.broker import BrokerPublisher
    from arena.cluster.commands import CommandClient
    from arena.config import Settings
    from arena.metrics import Metrics
    from arena.store.db import Database
    from arena.store.recorder import Recorder

T = TypeVar("T")


@dataclass(slots=True)
class AppState:
    settings: Settings
    runner: ArenaRunner
    reader: ArenaReader
    db: Database
    pubsub: PubSub
    operator: TokenCheck
    metrics: Metrics
    order_limiter: RateLimiter
    recorder: Recorder
    broker: BrokerPublisher | None = None  # the engine's events to the API replicas (--broker)
    engine_client: CommandClient | None = None  # an API replica's commands go to the engine through it
    fanout: FanoutHub | None = None  # subscription groups (made once the state exists: groups run in it)
    query_cache: StoredReadCache | None = None  # None: every query executes
    alerts: AlertService | None = None  # alert rules and their delivery (made once the state exists)


@dataclass(slots=True)
class Context:
    state: AppState
    request: Request | WebSocket | None  # None: a subscription group's shared execution
    connection_params: dict[str, Any] | None = field(default=None)
    phase: SubscriptionPhase | None = field(default=None)  # how a grouped subscription runs (None: alone)
    _bot: BotRow | bool | None = field(default=None)
    _once: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict)
    _loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    # --- who is asking --------------------------------------------------------------

    def token(self) -> str | None:
        params = self.connection_params
        if isinstance(params, dict) and isinstance(params.get("authToken"), str):
            return str(params["authToken"])
        return bearer_token(self.request.headers.get("authorization")) if self.request is not None else None

    def is_operator(self) -> bool:
        return self.state.operator.matches(self.token())

    async def bot(self) -> BotRow | None:
        """The registered, unrevoked bot whose token came with the request, if any."""
        if self._bot is None:
            self._bot = await bot_for_token(self.state.db, self.token()) or False
        return self._bot if isinstance(self._bot, BotRow) else None

    async def require_bot(self) -> BotRow:
        bot = await self.bot()
        if bot is None:
            raise ArenaError(
                ErrorCode.UNAUTHENTICATED, "a valid bot token is required (Authorization: Bearer <bot token>)"
            )
        return bot

    def require_operator(self) -> None:
        if not self.is_operator():
            raise ArenaError(ErrorCode.UNAUTHENTICATED, "operator token required (Authorization: Bearer <token>)")

    # --- reads shared by the fields of one request -----------------------------------------

    def in_phase(self, phase: SubscriptionPhase) -> Context:
        """This caller's context for one grouped subscription (its own loaders, the same caller)."""
        return Context(self.state, self.request, self.connection_params, phase, self._bot)

    @property
    def _caches(self) -> bool:
        return isinstance(self.request, Request)  # one HTTP request; a stream's context lives on

    async def once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        if not self._caches:
            return await read()
        task = self._once.get(key)
        if task is None:
            task = self._once[key] = asyncio.ensure_future(read())
        return await task  # type: ignore[no-any-return]

    def loader(self, name: str, load: Callable[[list[Any]], Awaitable[list[Any]]]) -> DataLoader[Any, Any]:
        """The request's DataLoader called `name` (made with `load` the first time)."""
        loader = self._loaders.get(name)
        if loader is None:
            loader = self._loaders[name] = DataLoader(load_fn=load, cache=self._caches)
        return loader

    async def standings(self, competition_id: str) -> list[AgentSnapshot]:
        async def load(ids: list[str]) -> list[list[AgentSnapshot]]:
            found = await self.state.reader.standings_of(ids)
            return [found.get(i, []) for i in ids]

        result: list[AgentSnapshot] = await self.loader("standings", load).load(competition_id)
        return result

    async def competition_row(self, competition_id: str) -> CompetitionRow | None:
        async def load(ids: list[str]) -> list[CompetitionRow | None]:
            found = await self.state.reader.competition_rows(ids)
            return [found.get(i) for i in ids]

        result: CompetitionRow | None = await self.loader("competitions", load).load(competition_id)
        return result

    async def positions(self, competition_id: str) -> dict[str, list[MarkedPosition]]:
        return await self.once(("positions", competition_id), lambda: self.state.reader.positions(competition_id))

    async def entrant(self, agent_id: str) -> tuple[str, EntrantInfo] | None:
        async def load(ids: list[str]) -> list[tuple[str, EntrantInfo] | None]:
            found = await self.state.reader.entrants_by_id(ids)
            return [found.get(i) for i in ids]

        result: tuple[str, EntrantInfo] | None = await self.loader("entrants", load).load(agent_id)
        return result

    async def wins_by_name(self) -> dict[str, int]:
        return await self.once("wins", self.state.reader.wins_by_name)
