"""The whole scale-out deployment on real servers: two engines (active and standby) and two API
replicas on one PostgreSQL and one Redis. kill -9 the active engine mid-competition: the standby
takes over, the subscribers on both replicas keep receiving, and each of them saw exactly the
trades in the database, in order, none missing, none twice."""

from __future__ import annotations

import asyncio
import signal

from arena.api.types.trades import trade_global_id
from tests.cluster.servers import stop_all
from tests.cluster.test_engine_takeover import engine_of
from tests.cluster.test_replicas import broker_of, stored_trade_ids, watch_trades
from tests.e2e.helpers import START, ArenaServer, wait_until
from tests.e2e.test_crash import round_of

ROUNDS = 250


async def test_kill_the_active_engine_and_every_subscriber_still_sees_every_trade(
    postgres_url, redis_server, tmp_path
) -> None:
    engine_args = ("--role", "engine", "--broker", redis_server.url, "--tick-interval", "0.05")
    active = ArenaServer(db=postgres_url, args=engine_args, log_dir=tmp_path)
    standby = ArenaServer(db=postgres_url, args=engine_args, log_dir=tmp_path)
    replicas = [
        ArenaServer(db=postgres_url, args=("--role", "api", "--broker", redis_server.url), log_dir=tmp_path)
        for _ in range(2)
    ]
    servers = [*replicas, standby, active]
    seen: list[list[dict]] = [[], []]
    watchers: list[asyncio.Task[None]] = []
    try:
        active.start()
        wait_until(lambda: engine_of(active) == "active", what="the first engine to take the lease")
        for server in (standby, *replicas):
            server.launch()
        for server in (standby, *replicas):
            server.wait_ready()
        assert engine_of(standby) == "standby"
        for replica in [*replicas, standby]:
            wait_until(lambda r=replica: broker_of(r) == "connected", what="Redis reached")
        for replica, trades in zip(replicas, seen, strict=True):
            subscribed = asyncio.Event()
            watchers.append(asyncio.create_task(watch_trades(replica, trades, subscribed)))
            await asyncio.wait_for(subscribed.wait(), 15)
        await asyncio.sleep(0.3)  # the subscriptions are registered once their first frames went out
        started = replicas[0].operator(
            START, {"input": {"name": "failover", "feed": "SIMULATED", "seed": 2, "rounds": ROUNDS, "speed": "0.03s"}}
        )["data"]["startCompetition"]
        assert started["userErrors"] == [], started
        cid = started["competition"]["id"]
        await asyncio.to_thread(wait_until, lambda: min(map(len, seen)) >= 10, 60, "10 trades on both replicas")
        active.stop(signal.SIGKILL)
        killed_at = round_of(replicas[1], cid)["round"]
        before = [len(trades) for trades in seen]
        await asyncio.to_thread(wait_until, lambda: engine_of(standby) == "active", 15, "the standby to take over")
        await asyncio.to_thread(
            wait_until, lambda: round_of(replicas[1], cid)["status"] == "FINISHED", 90, "the run to finish"
        )
        assert killed_at < ROUNDS
        stored = await stored_trade_ids(postgres_url, cid)
        await asyncio.to_thread(wait_until, lambda: min(map(len, seen)) >= len(stored), 30, "all trades relayed")
        for trades, count in zip(seen, before, strict=True):
            assert [t["id"] for t in trades] == stored, "each subscriber saw every stored trade, in order, once"
            assert len(trades) > count, "it kept receiving after the takeover"
        assert trade_global_id(cid, 1) == stored[0]
    finally:
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        stop_all(servers)
