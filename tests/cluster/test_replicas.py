"""One engine and two API replicas on PostgreSQL and Redis: a competition started by a mutation on
replica A; a subscriber on replica B sees every one of its trades, in order and without a gap,
through a Redis restart as well; a bot trading through B is on A's leaderboard; with no engine, a
replica's commands answer ENGINE_UNAVAILABLE."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from gql import GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from arena.api.types.trades import trade_global_id
from arena.store import fills
from arena.store.db import Database
from tests.alerts.receiver import WebhookReceiver
from tests.cluster.servers import stop_all
from tests.e2e.helpers import PAUSE, START, STOP, ArenaServer, client, wait_until
from tests.e2e.test_bots import ME, order, register
from tests.e2e.test_crash import round_of

ROUNDS = 160
TRADES = "subscription { trades { id competitionId round } }"
LEADERBOARD = "query($id: ID!) { competition(id: $id) { leaderboard { agent { name tradeCount } } } }"


def broker_of(server: ArenaServer) -> str | None:
    status, report = server.get("/health")
    return report.get("broker") if status == 200 else None


def cluster(
    postgres_url: str, redis_url: str, tmp_path, env: dict | None = None
) -> tuple[ArenaServer, ArenaServer, ArenaServer]:
    """An engine and two API replicas, all up and the replicas on Redis (none left running on failure)."""
    engine_args = ("--role", "engine", "--broker", redis_url, "--tick-interval", "0.05")
    servers = [ArenaServer(db=postgres_url, args=engine_args, log_dir=tmp_path, env=env or {})]
    servers += [
        ArenaServer(db=postgres_url, args=("--role", "api", "--broker", redis_url), log_dir=tmp_path, env=env or {})
        for _ in range(2)
    ]
    try:
        for server in servers:
            server.launch()  # side by side: they take turns at the migrations, then serve
        for server in servers:
            server.wait_ready()
        for replica in servers[1:]:
            wait_until(lambda r=replica: broker_of(r) == "connected", what="the replica to reach Redis")
    except BaseException:
        stop_all(servers)
        raise
    return servers[0], servers[1], servers[2]


async def stored_trade_ids(url: str, cid: str) -> list[str]:
    db = Database.open(url)
    try:
        return [trade_global_id(cid, f.seq) for f in await fills.competition_fills(db, cid)]
    finally:
        await db.close()


async def watch_trades(server: ArenaServer, seen: list[dict], subscribed: asyncio.Event) -> None:
    async with client(server, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL) as session:
        stream = session.subscribe(GraphQLRequest(TRADES))
        subscribed.set()
        async for result in stream:
            seen.append(result["trades"])


async def run_through(postgres_url, redis_url, tmp_path, *, restart_redis=None) -> None:
    engine, replica_a, replica_b = cluster(postgres_url, redis_url, tmp_path)
    seen: list[dict] = []
    subscribed = asyncio.Event()
    watcher = asyncio.create_task(watch_trades(replica_b, seen, subscribed))
    try:
        await asyncio.wait_for(subscribed.wait(), 15)
        await asyncio.sleep(0.3)  # the subscription is registered once its first frame went out
        started = replica_a.operator(
            START, {"input": {"name": "replicas", "feed": "SIMULATED", "seed": 11, "rounds": ROUNDS, "speed": "0.03s"}}
        )["data"]["startCompetition"]
        assert started["userErrors"] == [], started
        cid = started["competition"]["id"]
        if restart_redis is not None:
            await asyncio.to_thread(wait_until, lambda: len(seen) >= 10, 60, "10 trades relayed")
            restart_redis()
        await asyncio.to_thread(
            wait_until, lambda: round_of(replica_a, cid)["status"] == "FINISHED", 90, "the run to finish (read on A)"
        )
        stored = await stored_trade_ids(postgres_url, cid)
        assert stored, "the run made trades"
        await asyncio.to_thread(wait_until, lambda: len(seen) >= len(stored), 30, "every trade to reach B")
        ids = [t["id"] for t in seen if t["competitionId"] == cid]
        assert ids == stored, "B's subscriber saw every stored trade, in order, once"
        rounds = [t["round"] for t in seen]
        assert rounds == sorted(rounds)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        stop_all((replica_a, replica_b, engine))
    return replica_b


async def test_a_subscriber_on_a_replica_sees_every_trade_in_order_through_a_redis_restart(
    postgres_url, redis_server, tmp_path
):
    def restart() -> None:
        redis_server.kill()
        redis_server.start()

    replica_b = await run_through(postgres_url, redis_server.url, tmp_path, restart_redis=restart)
    assert "re-synced after reconnected" in replica_b.log()


async def test_a_bot_trading_through_one_replica_is_on_the_other_ones_leaderboard(postgres_url, redis_server, tmp_path):
    engine, replica_a, replica_b = cluster(postgres_url, redis_server.url, tmp_path)
    try:
        bot_id, token = register(replica_a, "relay-bot")
        started = replica_a.operator(
            START,
            {
                "input": {
                    "name": "bots",
                    "speed": "0.05s",
                    "bots": [bot_id],
                    "agents": [{"name": "momentum", "strategy": "momentum"}],
                }
            },
        )["data"]["startCompetition"]
        assert started["userErrors"] == [], started
        cid = started["competition"]["id"]
        placed = order(replica_b, token, symbol="BTC-USD", side="BUY", notional="100")["data"]["placeOrder"]
        assert placed["userErrors"] == [] and placed["trade"]["agentName"] == "relay-bot", placed
        refused = order(replica_b, token, symbol="NOPE-USD", side="BUY", notional="100")["data"]["placeOrder"]
        assert [e["code"] for e in refused["userErrors"]] == ["UNKNOWN_SYMBOL"]

        def bot_standing() -> dict | None:
            board = replica_a.graphql(LEADERBOARD, {"id": cid})["data"]["competition"]["leaderboard"]
            return next((e["agent"] for e in board if e["agent"]["name"] == "relay-bot"), None)

        wait_until(lambda: (bot_standing() or {}).get("tradeCount") == 1, what="the bot's trade on A's leaderboard")
        me = replica_b.graphql(ME, token=token)["data"]["me"]
        assert me["bot"]["name"] == "relay-bot" and me["agent"]["kind"] == "BOT"
        assert [t["id"] for t in me["trades"]] == [placed["trade"]["id"]]

        # the rate limit (5 a second, bursts of 5) is the engine's: it holds across the two replicas
        with ThreadPoolExecutor(8) as pool:
            burst = list(
                pool.map(
                    lambda i: order((replica_a, replica_b)[i % 2], token, symbol="BTC-USD", side="BUY", notional="10"),
                    range(8),
                )
            )
        codes = [e["code"] for r in burst for e in r["data"]["placeOrder"]["userErrors"]]
        assert set(codes) <= {"RATE_LIMITED"} and len(codes) >= 3, codes
        stopped = replica_b.operator(STOP)["data"]["stopCompetition"]
        assert stopped["userErrors"] == [] and stopped["competition"]["status"] == "STOPPED"
    finally:
        stop_all((replica_a, replica_b, engine))


def test_without_an_engine_a_replicas_commands_answer_engine_unavailable(postgres_url, redis_server, tmp_path):
    engine, replica_a, replica_b = cluster(postgres_url, redis_server.url, tmp_path, env={"ARENA_ENGINE_TIMEOUT": "1"})
    try:
        assert engine.stop() == 0
        payload = replica_a.operator(PAUSE)["data"]["pauseCompetition"]
        assert payload["competition"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["ENGINE_UNAVAILABLE"]
        assert "no engine answered within 1 s" in payload["userErrors"][0]["message"]
        status, report = replica_b.get("/health")
        assert status == 200 and report["role"] == "api" and report["engine"] == "replica"
    finally:
        stop_all((replica_a, replica_b))


CREATE_ALERT = """mutation($input: CreateAlertInput!) {
  createAlert(input: $input) { alert { id kind cooldownSeconds } secret userErrors { field code message } } }"""
UPDATE_ALERT = """mutation($id: ID!, $input: UpdateAlertInput!) {
  updateAlert(id: $id, input: $input) { alert { id cooldownSeconds } userErrors { code message } } }"""
DELETE_ALERT = "mutation($id: ID!) { deleteAlert(id: $id) { deletedId userErrors { code message } } }"
ALERTS = "{ alerts { id cooldownSeconds } }"


def test_alert_rules_changed_through_either_replica_are_the_engines(postgres_url, redis_server, tmp_path):
    engine, replica_a, replica_b = cluster(
        postgres_url, redis_server.url, tmp_path, env={"ARENA_ALERTS_ALLOW_PRIVATE": "1"}
    )
    try:
        rule = {"kind": "AGENT_TRADE", "webhookUrl": "http://127.0.0.1:9/hook", "cooldownSeconds": 60}
        created = replica_a.operator(CREATE_ALERT, {"input": rule})["data"]["createAlert"]
        assert created["userErrors"] == [] and created["secret"], created
        alert_id = created["alert"]["id"]
        assert engine.operator(ALERTS)["data"]["alerts"] == [{"id": alert_id, "cooldownSeconds": 60}]
        assert replica_b.operator(ALERTS)["data"]["alerts"] == [{"id": alert_id, "cooldownSeconds": 60}]
        updated = replica_b.operator(UPDATE_ALERT, {"id": alert_id, "input": {"cooldownSeconds": 5}})
        assert updated["data"]["updateAlert"] == {"alert": {"id": alert_id, "cooldownSeconds": 5}, "userErrors": []}
        assert engine.operator(ALERTS)["data"]["alerts"] == [{"id": alert_id, "cooldownSeconds": 5}]
        refused = replica_b.operator(CREATE_ALERT, {"input": {**rule, "webhookUrl": "not a url"}})
        assert [e["code"] for e in refused["data"]["createAlert"]["userErrors"]] == ["INVALID_URL"]
        deleted = replica_a.operator(DELETE_ALERT, {"id": alert_id})["data"]["deleteAlert"]
        assert deleted == {"deletedId": alert_id, "userErrors": []}
        assert engine.operator(ALERTS)["data"]["alerts"] == []
        assert replica_b.operator(ALERTS)["data"]["alerts"] == []
    finally:
        stop_all((replica_a, replica_b, engine))


async def test_a_fired_alert_reaches_a_replicas_alerts_stream(postgres_url, redis_server, tmp_path):
    engine, replica_a, replica_b = cluster(
        postgres_url, redis_server.url, tmp_path, env={"ARENA_ALERTS_ALLOW_PRIVATE": "1"}
    )
    fired: list[dict] = []
    try:
        with WebhookReceiver() as receiver:
            rule = {"kind": "AGENT_TRADE", "webhookUrl": receiver.url(), "cooldownSeconds": 7 * 24 * 3600}
            created = replica_a.operator(CREATE_ALERT, {"input": rule})["data"]["createAlert"]
            alert_id = created["alert"]["id"]
            async with client(replica_b, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, replica_b.token) as session:
                stream = session.subscribe(GraphQLRequest("subscription { alerts { id message alert { id kind } } }"))
                first = asyncio.create_task(anext(stream))
                await asyncio.sleep(0.3)  # registered once its first frame went out
                started = replica_a.operator(
                    START, {"input": {"name": "alerts", "feed": "SIMULATED", "seed": 3, "speed": "0.03s"}}
                )["data"]["startCompetition"]
                assert started["userErrors"] == [], started
                fired.append((await asyncio.wait_for(first, 60))["alerts"])
            await asyncio.to_thread(receiver.wait_for, 1, 30)
        assert fired[0]["alert"] == {"id": alert_id, "kind": "AGENT_TRADE"}
        assert alert_id in receiver.requests[0].body.decode(), "the engine delivered it, once"
        assert replica_a.operator(STOP)["data"]["stopCompetition"]["userErrors"] == []
    finally:
        stop_all((replica_a, replica_b, engine))
