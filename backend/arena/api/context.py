"""What every resolver gets: the running arena, the store, pub/sub, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from arena.api.auth import TokenCheck, bearer_token
from arena.api.ratelimit import RateLimiter
from arena.store.bots import bot_for_token
from arena.store.tables import BotRow
from arena.errors import ArenaError, ErrorCode

if TYPE_CHECKING:
    from arena.config import Settings
    from arena.engine.runner import ArenaRunner
    from arena.metrics import Metrics
    from arena.pubsub import PubSub
    from arena.store.db import Database


@dataclass(slots=True)
class AppState:
    settings: Settings
    runner: ArenaRunner
    db: Database
    pubsub: PubSub
    operator: TokenCheck
    metrics: Metrics
    order_limiter: RateLimiter


@dataclass(slots=True)
class Context:
    state: AppState
    request: Request | WebSocket
    connection_params: dict[str, Any] | None = field(default=None)
    _bot: Any = field(default=None)

    def token(self) -> str | None:
        params = self.connection_params
        if isinstance(params, dict) and isinstance(params.get("authToken"), str):
            return params["authToken"]
        return bearer_token(self.request.headers.get("authorization"))

    def is_operator(self) -> bool:
        return self.state.operator.matches(self.token())

    async def bot(self) -> BotRow | None:
        """The registered, unrevoked bot whose token came with the request, if any."""
        if self._bot is None:
            self._bot = await bot_for_token(self.state.db, self.token()) or False
        return self._bot or None

    async def require_bot(self) -> BotRow:
        bot = await self.bot()
        if bot is None:
            raise ArenaError(ErrorCode.UNAUTHENTICATED, "a valid bot token is required (Authorization: Bearer <bot token>)")
        return bot

    def require_operator(self) -> None:
        if not self.is_operator():
            raise ArenaError(ErrorCode.UNAUTHENTICATED, "operator token required (Authorization: Bearer <token>)")
