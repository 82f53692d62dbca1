"""create_app(settings): the Starlette app. Its lifespan wires feed → engine → recorder → pub/sub."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from cross_web import HTTPException
from strawberry.asgi import GraphQL

from arena.api.auth import TokenCheck, generate_token
from arena.api.context import AppState, Context
from arena.api.ratelimit import RateLimiter
from arena.api.errors import coded
from arena.api.limits import BodySizeLimit, send_json_error
from arena.api.publisher import Publisher
from arena.api.ws_handlers import LegacyWSHandler, TransportWSHandler
from arena.api.schema import schema
from arena.config import Settings
from arena.engine.config import CompetitionConfig, FeedSpec, SpeedMode, SpeedSpec, default_agents
from arena.engine.runner import ArenaRunner
from arena.feeds.factory import build_feed
from arena.metrics import Metrics
from arena.pubsub import PubSub
from arena.store.db import Database
from arena.store.recorder import Recorder
from arena.store.repository import mark_interrupted

logger = logging.getLogger(__name__)


class ArenaGraphQL(GraphQL):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    def __init__(self, state: AppState, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.state = state

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:  # type: ignore[override]
        return Context(state=self.state, request=request)

    async def process_result(self, request: Request, result: Any) -> Any:  # type: ignore[override]
        # parse errors skip the schema extensions; give them their code here
        if result.errors:
            result.errors = [coded(e) for e in result.errors]
        return await super().process_result(request, result)

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params
        if params is not None and not isinstance(params, dict):
            return {"error": "connectionParams must be an object"}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                response = await self.run(Request(scope, receive=receive))
            except HTTPException as exc:  # malformed JSON, no query, wrong method: still a GraphQL-shaped error
                await send_json_error(send, exc.status_code, exc.reason, "BAD_REQUEST")
                return
            await response(scope, receive, send)
            return
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        gauge = self.state.metrics.websockets
        gauge.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:
            gauge.dec()


class RequestTimer:
    """Records HTTP request latency in the Prometheus histogram."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            path = scope["path"] if scope["path"] in ("/graphql", "/health", "/metrics") else "other"
            self.metrics.request_latency.labels(path, scope["method"]).observe(time.perf_counter() - started)


def demo_config(symbols: tuple[str, ...]) -> CompetitionConfig:
    return CompetitionConfig(name="Demo", symbols=symbols, agents=default_agents())


def build_state(settings: Settings) -> AppState:
    token = settings.operator_token or generate_token()
    metrics = Metrics()
    pubsub = PubSub(queue_size=settings.subscriber_queue)
    metrics.count_published(lambda: pubsub.published_total)
    metrics.subscriptions.set_function(lambda: pubsub.subscriber_count())
    db = Database(settings.database_url)
    market = build_feed(FeedSpec.parse(settings.feed, seed=settings.seed), settings.symbols)
    recorder = Recorder(db)
    publisher = Publisher(pubsub)
    runner = ArenaRunner(
        [recorder.record, metrics.observe, publisher.publish],
        market_feed=market,
        market_speed=SpeedSpec(SpeedMode.REALTIME, interval_s=settings.tick_interval),
    )
    return AppState(settings=settings, runner=runner, db=db, pubsub=pubsub, operator=TokenCheck(token), metrics=metrics,
                    order_limiter=RateLimiter(settings.bot_orders_per_second))


def create_app(settings: Settings, state: AppState | None = None) -> Starlette:
    state = state or build_state(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if "://" not in settings.db:
            Path(settings.db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        await state.db.init()
        interrupted = await mark_interrupted(state.db)
        if interrupted:
            logger.warning("competitions left running by a crash are now INTERRUPTED: %s", ", ".join(interrupted))
        task = asyncio.create_task(state.runner.run(), name="arena-runner")
        if settings.demo:
            info = state.runner.feed_info
            await state.runner.start(demo_config(info.symbols if info else settings.symbols))
        try:
            yield
        finally:
            state.runner.request_shutdown()  # finishes the current round and flushes it
            await task
            state.pubsub.close_all()
            await state.db.close()

    graphql = ArenaGraphQL(state, max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
                           connection_init_wait_timeout=timedelta(seconds=settings.connection_init_timeout))

    async def health(request: Request) -> JSONResponse:
        db_ok = await state.db.ping()
        feed = state.runner.feed_info
        live = state.runner.competition
        healthy = db_ok and state.runner.last_error is None
        return JSONResponse(
            {
                "status": "ok" if healthy else "degraded",
                "error": state.runner.last_error,
                "database": "ok" if db_ok else "unavailable",
                "feed": None if feed is None else {"kind": feed.kind.value, "description": feed.description,
                                                   "symbols": list(feed.symbols)},
                "competition": None if live is None else {"id": live.id, "name": live.config.name,
                                                          "state": live.status.value, "round": live.round},
                "state": state.runner.status.value,
            },
            status_code=200 if db_ok else 503,
        )

    async def metrics(request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        Route("/health", health),
        Route("/metrics", metrics),
        Mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.arena = state
    app.add_middleware(BodySizeLimit)
    app.add_middleware(RequestTimer, metrics=state.metrics)
    return app
