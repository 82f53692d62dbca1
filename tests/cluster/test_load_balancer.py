"""compose.yaml's nginx in front of two real API replicas: HTTP and websockets pass through; kill -9 a
replica and its clients reconnect through nginx to the other one, which serves them on, and a
query re-syncs what they missed."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from arena.testing.server import HOST, free_port
from tests.cluster.servers import stop_all
from tests.cluster.test_replicas import cluster, stored_trade_ids, watch_trades
from tests.conftest import missing_server
from tests.e2e.helpers import START, ArenaServer, wait_until

COMPOSE = Path(__file__).resolve().parents[2] / "compose.yaml"
TRADES_PAGE = "query($c: ID) { trades(competitionId: $c, first: 500) { edges { node { id } } } }"


class Nginx:
    """compose.yaml's own nginx.conf, with the replicas' and its own addresses put in."""

    def __init__(self, binary: str, upstreams: list[ArenaServer]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="arena-nginx-"))
        self.port = free_port()
        conf = yaml.safe_load(COMPOSE.read_text())["configs"]["nginx"]["content"].replace("$$", "$")
        for number, upstream in enumerate(upstreams, start=1):
            conf = conf.replace(f"api-{number}:8000", f"{HOST}:{upstream.port}")
        conf = conf.replace("listen 80;", f"listen {HOST}:{self.port};").replace(
            "http {", "http {\n  access_log off;", 1
        )
        conf = f"pid {self.root}/nginx.pid;\nerror_log {self.root}/error.log;\n" + conf
        (self.root / "nginx.conf").write_text(conf)
        self.process = subprocess.Popen(
            [binary, "-p", str(self.root), "-c", str(self.root / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self.server = ArenaServer(db=Path("unused"), port=self.port)  # its client methods, through nginx

    def answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"nginx exited with {self.process.returncode}: {self.log()}")
        try:
            return self.server.get("/lb-health")[0] == 200
        except OSError:
            return False

    def log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        missing_server("nginx is not installed (apt-get install nginx)")
    assert found is not None
    return found


async def test_a_killed_replicas_clients_reconnect_through_nginx_to_the_other(
    postgres_url, redis_server, tmp_path, nginx_binary
) -> None:
    engine, replica_a, replica_b = cluster(postgres_url, redis_server.url, tmp_path)
    nginx = Nginx(nginx_binary, [replica_a, replica_b])
    lb = nginx.server
    lb.token = engine.token
    watchers: list[asyncio.Task[None]] = []
    try:
        await asyncio.to_thread(wait_until, nginx.answers, 15, "nginx to answer")
        assert lb.get("/health")[1]["role"] == "api"
        seen: list[list[dict]] = [[], []]
        for trades in seen:  # round robin: one on each replica
            subscribed = asyncio.Event()
            watchers.append(asyncio.create_task(watch_trades(lb, trades, subscribed)))
            await asyncio.wait_for(subscribed.wait(), 15)
        await asyncio.sleep(0.3)
        started = lb.operator(
            START, {"input": {"name": "lb", "feed": "SIMULATED", "seed": 4, "rounds": 100_000, "speed": "0.03s"}}
        )["data"]["startCompetition"]
        assert started["userErrors"] == [], started
        cid = started["competition"]["id"]
        await asyncio.to_thread(wait_until, lambda: min(map(len, seen)) >= 3, 60, "trades on both websockets")

        replica_a.stop(signal.SIGKILL)
        done, _ = await asyncio.wait(watchers, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1, "the websocket on the killed replica closed, the other goes on"
        dropped = watchers.index(done.pop())
        statuses = [lb.get("/health")[0] for _ in range(6)]
        assert statuses == [200] * 6, "nginx sends every request to the replica left"

        # the client comes back through nginx (as the dashboard does), then re-syncs with a query
        again: list[dict] = []
        subscribed = asyncio.Event()
        watchers[dropped] = asyncio.create_task(watch_trades(lb, again, subscribed))
        await asyncio.wait_for(subscribed.wait(), 15)
        await asyncio.to_thread(wait_until, lambda: len(again) >= 3, 60, "trades after reconnecting")
        stored = await stored_trade_ids(postgres_url, cid)
        page = lb.graphql(TRADES_PAGE, {"c": cid})["data"]["trades"]["edges"]
        resynced = {e["node"]["id"] for e in page}
        assert {t["id"] for t in seen[dropped]} | {t["id"] for t in again} <= resynced | set(stored)
        assert set(stored[: len(seen[dropped])]) <= resynced, "what it saw and missed is all there to re-sync"
        assert lb.operator("mutation { stopCompetition { userErrors { code } } }")["data"]["stopCompetition"] == {
            "userErrors": []
        }
    finally:
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        nginx.stop()
        stop_all((replica_b, engine))
