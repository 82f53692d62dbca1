"""What every resolver gets: the running arena, the store, pub/sub, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from arena.api.auth import TokenCheck, bearer_token
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


@dataclass(slots=True)
class Context:
    state: AppState
    request: Request | WebSocket
    connection_params: dict[str, Any] | None = field(default=None)

    def token(self) -> str | None:
        params = self.connection_params
        if isinstance(params, dict) and isinstance(params.get("authToken"), str):
            return params["authToken"]
        return bearer_token(self.request.headers.get("authorization"))

    def is_operator(self) -> bool:
        return self.state.operator.matches(self.token())

    def require_operator(self) -> None:
        if not self.is_operator():
            raise ArenaError(ErrorCode.UNAUTHENTICATED, "operator token required (Authorization: Bearer <token>)")
