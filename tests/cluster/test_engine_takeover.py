"""Two engines on one PostgreSQL database: one active, one standing by; kill -9 the active one and the
standby takes over the running competition, which ends exactly as an uninterrupted run does."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import pytest

from arena.cluster.lease import ENGINE_LOCK
from arena.store import fills
from arena.store.db import Database
from tests.cluster.servers import stop_all
from tests.e2e.helpers import PAUSE, RESUME, START, STOP, ArenaServer, wait_until
from tests.e2e.test_crash import ROUNDS, SEED, fill_keys, round_of, uninterrupted_fills

ENGINE = ("--role", "engine", "--tick-interval", "0.05")


def engine_of(server: ArenaServer) -> str:
    status, report = server.get("/health")
    assert status == 200, report
    return str(report["engine"])


def engines(url: str, tmp_path) -> tuple[ArenaServer, ArenaServer]:
    """Two engines, the first active (none left running on failure)."""
    first = ArenaServer(db=url, args=ENGINE, log_dir=tmp_path).start()
    second = ArenaServer(db=url, args=ENGINE, log_dir=tmp_path)
    try:
        wait_until(lambda: engine_of(first) == "active", what="the first engine to take the lease")
        second.start()
    except BaseException:
        stop_all([first, second])
        raise
    return first, second


async def stored_fills(url: str, cid: str) -> list:
    db = Database.open(url)
    try:
        rows = await fills.competition_fills(db, cid)
    finally:
        await db.close()
    keys = [
        (f.seq, f.agent_id, f.symbol, f.side.value, f.quantity, f.price, f.fee, f.realized_pnl, f.round) for f in rows
    ]
    return fill_keys([tuple(str(v) if not isinstance(v, int) else v for v in k) for k in keys])


def start_on(server: ArenaServer) -> dict:
    return server.operator(
        START, {"input": {"name": "takeover", "feed": "SIMULATED", "seed": SEED, "rounds": ROUNDS, "speed": "0.02s"}}
    )["data"]["startCompetition"]


async def test_the_standby_takes_over_a_killed_engine_and_the_run_ends_as_if_uninterrupted(postgres_url, tmp_path):
    active, standby = engines(postgres_url, tmp_path)
    try:
        assert engine_of(standby) == "standby"
        refused = start_on(standby)
        assert refused["competition"] is None
        assert [e["code"] for e in refused["userErrors"]] == ["ENGINE_UNAVAILABLE"]

        started = start_on(active)
        assert started["userErrors"] == [], started
        cid = started["competition"]["id"]
        # the standby reads the record: it sees the competition advance
        wait_until(lambda: round_of(standby, cid)["round"] >= 30, timeout=60, what="round 30 stored")
        active.stop(signal.SIGKILL)
        killed_at = round_of(standby, cid)["round"]
        assert killed_at < ROUNDS

        wait_until(lambda: engine_of(standby) == "active", timeout=15, what="the standby to take the lease")
        wait_until(lambda: round_of(standby, cid)["round"] > killed_at, timeout=30, what="play to go on")
        wait_until(lambda: round_of(standby, cid)["status"] == "FINISHED", timeout=90, what="the run to finish")
        assert "took over competition" in standby.log()
    finally:
        active.kill()
        stop_all([standby])
    assert await stored_fills(postgres_url, cid) == await uninterrupted_fills()


async def test_an_engine_that_loses_its_lease_stops_and_the_standby_takes_over(postgres_url, tmp_path):
    active, standby = engines(postgres_url, tmp_path)
    try:
        assert engine_of(standby) == "standby"
        # end the active engine's lock session from the server side: its lease is gone, the process lives
        dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(dsn)
        try:
            ended = await connection.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1",
                ENGINE_LOCK,
            )
        finally:
            await connection.close()
        assert ended == 1
        assert active.process is not None
        assert await asyncio.to_thread(active.process.wait, 20) == 3, active.log()
        assert "engine lease lost" in active.log()
        wait_until(lambda: engine_of(standby) == "active", timeout=15, what="the standby to take the lease")
    finally:
        active.kill()
        stop_all([standby])


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--role", "nonsense"), {}, "invalid choice: 'nonsense'"),
        ((), {"ARENA_ROLE": "nonsense"}, "error [INVALID_CONFIG]: unknown role 'nonsense': one of all, engine"),
    ],
)
def test_an_unknown_role_is_refused(args, env, message, tmp_path):
    server = ArenaServer(db=tmp_path / "a.db", args=args, env=env)
    with pytest.raises(RuntimeError, match="exited with 2") as refused:
        server.start()
    assert message in str(refused.value)
    assert not (tmp_path / "a.db").exists()


def test_an_engine_without_a_shared_operator_token_is_refused(tmp_path):
    server = ArenaServer(db=tmp_path / "a.db", args=("--role", "engine"), token=None)
    with pytest.raises(RuntimeError, match="exited with 2") as refused:
        server.start()
    assert "--role engine needs --token or ARENA_OPERATOR_TOKEN" in str(refused.value)


def test_a_paused_competition_is_taken_over_paused_and_plays_on_when_resumed(postgres_url, tmp_path):
    active, standby = engines(postgres_url, tmp_path)
    try:
        cid = start_on(active)["competition"]["id"]
        wait_until(lambda: round_of(standby, cid)["round"] >= 5, timeout=60, what="round 5 stored")
        paused = active.operator(PAUSE)["data"]["pauseCompetition"]
        assert paused["competition"]["status"] == "PAUSED", paused
        # the pause is stored with the round it came at (what the record says is what a takeover sees)
        wait_until(lambda: round_of(standby, cid)["status"] == "PAUSED", timeout=15, what="the pause stored")
        at = round_of(standby, cid)["round"]
        active.stop(signal.SIGKILL)
        wait_until(lambda: engine_of(standby) == "active", timeout=15, what="the standby to take the lease")
        wait_until(lambda: "took over competition" in standby.log(), timeout=30, what="the takeover")
        assert round_of(standby, cid) == {"status": "PAUSED", "round": at}, "no round played while paused"
        resumed = standby.operator(RESUME)["data"]["resumeCompetition"]
        assert resumed["userErrors"] == [] and resumed["competition"]["status"] == "RUNNING", resumed
        wait_until(lambda: round_of(standby, cid)["round"] > at, timeout=30, what="play to go on")
        assert standby.operator(STOP)["data"]["stopCompetition"]["userErrors"] == []
    finally:
        active.kill()
        stop_all([standby])
