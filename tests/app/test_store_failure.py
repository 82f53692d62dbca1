"""A failed write loses nothing: a real SQLite file fills up mid-run, then recovers.

A real server (uvicorn on a free port, in this process so the test can cap the database's
size) plays a competition on the shared market feed while a websocket client watches its
rounds. The database is then capped at its current size (`PRAGMA max_page_count`: SQLite
answers "database or disk is full"). While it is full: /health says degraded with the reason,
no round is played or published past the last stored one, and commands are refused with
STORE_UNAVAILABLE. Once the cap is lifted: play goes on, and the record and what the client
saw both hold every round exactly once, with no gap.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import event, text

from arena.store.db import Database
from tests.in_process import serving, until

TOKEN = "store-failure-token"
ROUNDS = "subscription { arenaEvents { kind round } }"


class SizeCap:
    """Caps every new connection of a database at `pages` pages (None: no cap) and reconnects."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pages: int | None = None
        event.listen(db.engine.sync_engine, "connect", self._apply)

    def _apply(self, dbapi_connection: Any, _record: Any) -> None:
        if self.pages is not None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA max_page_count={self.pages}")
            cursor.close()

    async def set(self, pages: int | None) -> None:
        self.pages = pages
        await self.db.engine.dispose()  # pooled connections reopen with (or without) the cap

    async def current_pages(self) -> int:
        async with self.db.engine.connect() as connection:
            return int((await connection.execute(text("PRAGMA page_count"))).scalar_one())


class RoundWatcher:
    """A graphql-transport-ws client that records every ROUND_COMPLETED round it is sent."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.rounds: list[int] = []
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    async def __aenter__(self) -> RoundWatcher:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.subscribed.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        async with websockets.connect(f"ws://{self.address}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ROUNDS}}))
            self.subscribed.set()
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "next":
                    payload = message["payload"]["data"]["arenaEvents"]
                    if payload["kind"] == "ROUND_COMPLETED":
                        self.rounds.append(payload["round"])


def stored_rounds(db_path: Path, competition_id: str) -> list[int]:
    with sqlite3.connect(db_path) as conn:
        return [
            r
            for (r,) in conn.execute(
                "SELECT DISTINCT round FROM equity WHERE competition_id = ? ORDER BY round", (competition_id,)
            )
        ]


def stored_fill_seqs(db_path: Path, competition_id: str) -> list[int]:
    with sqlite3.connect(db_path) as conn:
        return [
            s for (s,) in conn.execute("SELECT seq FROM fill WHERE competition_id = ? ORDER BY seq", (competition_id,))
        ]


async def test_a_full_database_stops_play_and_loses_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "arena.db"
    async with (
        serving(db_path, operator_token=TOKEN) as (address, state),
        httpx.AsyncClient(base_url=f"http://{address}") as http,
    ):
        cap = SizeCap(state.db)

        async def graphql(query: str) -> dict[str, Any]:
            response = await http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {TOKEN}"})
            return response.json()["data"]

        async def health() -> dict[str, Any]:
            return (await http.get("/health")).json()

        started = await graphql(
            'mutation { startCompetition(input: {name: "full"}) { competition { id } userErrors { code } } }'
        )
        competition_id = started["startCompetition"]["competition"]["id"]
        async with RoundWatcher(address) as watcher:
            await until(lambda: len(watcher.rounds) >= 10, 20, "10 rounds")

            await cap.set(await cap.current_pages())
            report = await until(lambda: _degraded(health), 20, "/health to say the store refuses writes")
            assert "database or disk is full" in report["error"]
            assert report["store"]["writes"] == "failing"
            await until(lambda: _attempts_at_least(health, 3), 20, "three attempts")

            frozen = stored_rounds(db_path, competition_id)
            assert frozen == list(range(1, frozen[-1] + 1)), "every stored round, once, in order"
            assert max(watcher.rounds) <= frozen[-1], "nothing was published that is not stored"
            assert state.runner.competition.round <= frozen[-1] + 1, "no round is played past the refused one"
            refused = await graphql("mutation { pauseCompetition { userErrors { code message } } }")
            assert [e["code"] for e in refused["pauseCompetition"]["userErrors"]] == ["STORE_UNAVAILABLE"]
            assert stored_rounds(db_path, competition_id) == frozen, "nothing was written meanwhile"

            await cap.set(None)
            await until(lambda: _healthy(health), 30, "/health to say ok again")
            await until(lambda: len(watcher.rounds) >= len(frozen) + 10, 30, "10 more rounds after recovery")
            stopped = await graphql("mutation { stopCompetition { competition { status } userErrors { code } } }")
            assert stopped["stopCompetition"]["userErrors"] == []

        rounds = stored_rounds(db_path, competition_id)
        assert rounds == list(range(1, rounds[-1] + 1)), "no gap and no repeat in the record"
        assert rounds[-1] > frozen[-1] + 9
        seen = watcher.rounds
        assert seen == list(range(seen[0], seen[0] + len(seen))), "the subscriber saw every round once, in order"
        assert set(seen) <= set(rounds)
        seqs = stored_fill_seqs(db_path, competition_id)
        assert seqs == list(range(1, len(seqs) + 1)), "no fill lost or repeated"


async def _degraded(health: Any) -> dict[str, Any] | None:
    report = await health()
    return report if report["status"] == "degraded" and report["store"]["writes"] == "failing" else None


async def _attempts_at_least(health: Any, attempts: int) -> bool:
    report = await health()
    return report["store"].get("attempts", 0) >= attempts


async def _healthy(health: Any) -> bool:
    return (await health())["status"] == "ok"
