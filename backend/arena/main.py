"""create_app(settings): the Starlette app. Its lifespan opens the store and runs the arena."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from arena.alerts.service import AlertOptions, AlertService
from arena.api.auth import TokenCheck, generate_token
from arena.api.context import AppState
from arena.api.fanout.groups import FanoutHub
from arena.api.graphql_app import ArenaGraphQL
from arena.api.limits import BodySizeLimit
from arena.api.query_cache import StoredReadCache
from arena.api.ratelimit import RateLimiter
from arena.api.request_timer import RequestTimer
from arena.api.schema import schema
from arena.app.api_role import ApiRole
from arena.app.bot_orders import BotOrders
from arena.app.collector import tune_for_serving
from arena.app.engine_role import EngineRole
from arena.app.health import SILENT, health_report
from arena.app.readers import ArenaReader
from arena.app.runner import ArenaRunner
from arena.app.wiring import event_pipeline
from arena.broker.publisher import Publisher
from arena.broker.pubsub import PubSub
from arena.cluster.broker import BrokerPublisher
from arena.config import Settings
from arena.feeds.base import LiveFeed
from arena.feeds.factory import build_feed
from arena.feeds.live.exchanges import LiveOptions
from arena.feeds.spec import FeedMode, FeedSpec, SpeedMode, SpeedSpec
from arena.llm import client as _model_client  # noqa: F401  # the server imports openai at start, not mid-loop
from arena.metrics import Metrics
from arena.store import fills
from arena.store.db import Database
from arena.store.recorder import Recorder

logger = logging.getLogger(__name__)


def live_options(settings: Settings, metrics: Metrics) -> LiveOptions:
    return LiveOptions(
        url=settings.live_url,
        rest_url=settings.live_rest_url,
        interval=settings.tick_interval,
        stale_after=settings.live_stale_seconds,
        observer=metrics,
    )


def build_state(settings: Settings) -> AppState:
    """Everything but an `auto` market feed, which the lifespan chooses (it needs to try the network).
    A feed the settings get wrong is refused here, before the server starts."""
    metrics = Metrics()
    pubsub = PubSub(queue_size=settings.subscriber_queue)
    metrics.count_published(lambda: pubsub.published_total)
    db = Database.open(settings.db)
    recorder = Recorder(db)
    broker = BrokerPublisher(settings.broker) if settings.broker and settings.role != "api" else None
    outbox = event_pipeline(
        recorder, metrics=metrics, publisher=Publisher(pubsub), extra=[broker.publish] if broker else ()
    )
    spec = FeedSpec.parse(settings.feed, seed=settings.seed)
    market = (
        None if spec.mode is FeedMode.AUTO else build_feed(spec, settings.symbols, live=live_options(settings, metrics))
    )
    runner = ArenaRunner(
        outbox,
        market_feed=market,
        market_speed=SpeedSpec(SpeedMode.REALTIME, interval_s=settings.tick_interval),
        orders=BotOrders(
            lambda agent_id, client_order_id: fills.fill_by_client_order_id(db, agent_id, client_order_id)
        ),
    )
    metrics.feed_quote_age.set_function(lambda: _quote_age(runner))
    state = AppState(
        settings=settings,
        runner=runner,
        reader=ArenaReader(runner, db),
        db=db,
        pubsub=pubsub,
        operator=TokenCheck(settings.operator_token or generate_token()),
        metrics=metrics,
        order_limiter=RateLimiter(settings.bot_orders_per_second),
        recorder=recorder,
        broker=broker,
        query_cache=StoredReadCache(db, metrics.query_cache) if settings.query_cache else None,
    )
    alert_service = AlertService(
        db,
        pubsub,
        metrics,
        options=AlertOptions(
            allow_private=settings.alerts_allow_private, retry_base_seconds=settings.alerts_retry_base
        ),
        known_symbols=lambda: _known_symbols(runner, settings),
        feed_health=lambda: _feed_health(runner),
    )
    state.alerts = recorder.annex = alert_service
    if broker is not None:
        alert_service.on_fired = broker.publish_alert
    hub = state.fanout = FanoutHub(state, schema, enabled=settings.subscription_groups)
    metrics.subscription_groups.set_function(lambda: len(hub.groups))
    metrics.subscription_group_members.set_function(hub.member_count)
    # a group listens once for all its members: count the members, not the group's own listener
    metrics.subscriptions.set_function(lambda: pubsub.subscriber_count() - len(hub.groups) + hub.member_count())
    return state


def _known_symbols(runner: ArenaRunner, settings: Settings) -> set[str]:
    info = runner.feed_info
    return {*settings.symbols, *(info.symbols if info else ()), *(q.symbol for q in runner.prices.quotes())}


def _feed_health(runner: ArenaRunner) -> tuple[bool, str] | None:
    """(stale, what) for a live market feed; None for the others (a simulation is never stale)."""
    market = runner.sources.market
    if market is None or not isinstance(market.feed, LiveFeed):
        return None
    status = market.feed.status
    return status in SILENT, f"{market.info.description}: {status.value}"


def _quote_age(runner: ArenaRunner) -> float:
    market = runner.sources.market
    age = market.feed.last_quote_age() if market is not None and isinstance(market.feed, LiveFeed) else None
    return math.nan if age is None else age


def create_app(settings: Settings, state: AppState | None = None) -> Starlette:
    state = state or build_state(settings)

    role: EngineRole | ApiRole
    if settings.role == "api":
        assert settings.broker is not None, "--role api needs --broker"
        role = ApiRole(state, settings.broker, settings.engine_timeout)
    else:
        role = EngineRole(state, settings, live_options(settings, state.metrics))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.db.init()
        sender = asyncio.create_task(state.broker.run(), name="arena-broker") if state.broker else None
        await role.begin()  # on PostgreSQL a standby engine serves at once and takes over later
        # Everything made so far (the schema, the ORM, the feeds) lives as long as the process: out of
        # the collector's sight, a full collection scans only what came later (at 1,000 subscribers
        # it took the loop for a quarter of a second otherwise). And a full collection, whose pause
        # grows with every connection held, is made rare: young collections every 50k allocations
        # rather than 700 promote far fewer short-lived objects (BENCHMARKS.md, "gc max ms").
        if settings.tune_gc:
            tune_for_serving()
        try:
            yield
        finally:
            await role.end()
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            state.pubsub.close_all()
            await state.db.close()

    graphql = ArenaGraphQL(
        state,
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_timeout),
    )

    async def health(request: Request) -> JSONResponse:
        report, status = await health_report(state.runner, state.db)
        report["role"] = settings.role
        report["engine"] = role.status
        if role.broker is not None:
            report["broker"] = role.broker
        return JSONResponse(report, status_code=status)

    async def metrics(request: Request) -> Response:
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
