"""Every benchmark's --smoke mode runs and writes its result: the benchmarks work (the numbers are not checked).

Each runs as the command a person would type (`python -m bench.<name> --smoke`), into a
temporary results folder. The query benchmark needs wrk (apt-get install -y wrk) and is
skipped where it is absent; the fast-forward one needs ../shared/data, and runs its backtrader
baseline where backtrader is installed (`pip install -e '.[bench]'`; else it checks the skip).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-results")


def smoke_run(
    name: str, out: Path, timeout: float = 60, extra: Sequence[str] = (), env: dict[str, str] | None = None
) -> tuple[dict, str]:
    """`python -m bench.<name> --smoke`: its result and what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke", "--out", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert done.returncode == 0, f"bench.{name} --smoke failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    path = out / f"{name}-smoke.json"
    assert path.exists(), f"bench.{name} wrote no result:\n{done.stdout[-2000:]}"
    result = json.loads(path.read_text())
    assert result["smoke"] is True and result["machine"]["nproc"]
    return result, done.stdout


def smoke(name: str, out: Path, timeout: float = 60) -> dict:
    return smoke_run(name, out, timeout)[0]


def test_fanout(results: Path) -> None:
    result = smoke("fanout", results)
    series = result["series"]["off"]
    assert {(r["case"], r["mode"], r["subscribed"]) for r in series["live"]} == {
        ("prices", "graphql", 5),
        ("prices", "raw", 5),
        ("mixed", "graphql", 20),
        ("mixed", "raw", 20),
    }
    assert all(r["delivered_per_s"] > 0 and r["p99_ms"] is not None and r["errors"] == 0 for r in series["live"])
    assert {r["mode"] for r in series["idle"]} == {"graphql", "raw"}


def test_queries(results: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk): the query benchmark cannot run here")
    result = smoke("queries", results)
    # the raw baselines return GraphQL's data (checked whenever the live data held still long enough)
    assert all(v.startswith(("exact", "not checked", "same shape")) for v in result["same_data"].values())
    assert {r["mode"] for r in result["rows"]} == {"graphql", "raw"}
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in result["rows"])


BACKTRADER_SKIPPED = "SKIPPED: backtrader not installed (pip install -e '.[bench]')"


def test_fastforward(results: Path, shared_data_dir: Path) -> None:
    result, printed = smoke_run("fastforward", results)
    runs = {r["run"]: r for r in result["rows"]}
    ours = {"arena", "arena --no-db", "arena, sources", "arena --no-db, sources", "bare loop"}
    assert runs["arena"]["bars"] == runs["bare loop"]["bars"] == 2000 and runs["arena"]["fills"] > 0
    # the round on its sources trades exactly as where it runs compiled
    assert runs["arena, sources"]["round"] == runs["arena --no-db, sources"]["round"] == "pure-Python"
    assert runs["arena, sources"]["fills"] == runs["arena"]["fills"] == runs["arena --no-db"]["fills"]
    if importlib.util.find_spec("backtrader") is None:
        assert BACKTRADER_SKIPPED in printed and set(runs) == ours
    else:
        assert set(runs) == ours | {"backtrader"}
        # the same rules on the same bars: the same trades
        assert runs["backtrader"]["bars"] == 2000 and runs["backtrader"]["fills"] == runs["arena"]["fills"]
        assert result["vs_backtrader"]["persist"] > 0 and result["vs_backtrader"]["no_db"] > 0
        assert "ours / backtrader:" in printed
    scaling = {r["case"]: r for r in result["scaling"]}
    assert [(r["agents"], r["symbols"], r["copies"]) for r in scaling.values()] == [
        (1, 1, 1),
        (4, 1, 1),
        (16, 1, 1),
        (4, 3, 1),
        (4, 1, 10),
    ]
    base = scaling["base: 4 agents, 1 symbol, 1x bars"]
    assert base["work_x"] == base["time_x"] == 1
    assert scaling["10x bars"]["bars"] == 10 * base["bars"]
    assert scaling["16 agents"]["fills"] == 4 * base["fills"]  # four copies of each agent trade alike
    assert all(r["fills"] > 0 and r["db_bytes"] > 0 for r in scaling.values())


def test_fastforward_without_backtrader(tmp_path: Path, shared_data_dir: Path) -> None:
    hidden = tmp_path / "hide" / "backtrader"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('hidden by the test')\n")
    env = {**os.environ, "PYTHONPATH": str(hidden.parent)}
    result, printed = smoke_run("fastforward", tmp_path / "out", extra=["--only", "backtrader"], env=env)
    assert BACKTRADER_SKIPPED in printed
    assert result["rows"] == [] and "backtrader" in result["skipped_runs"]


def test_persist(results: Path) -> None:
    result = smoke("persist", results)
    assert {r["run"] for r in result["rows"]} == {"recorder", "raw sqlite3"}
    assert all(r["fills_per_s"] > 0 for r in result["rows"])


def test_leak(results: Path) -> None:
    result = smoke("leak", results)
    cases = {r["case"] for r in result["rows"]}
    assert "graphql-core execute (baseline)" in cases and "arena schema, as shipped: prices subscription" in cases


def test_all_summarizes_the_results(results: Path) -> None:
    from bench.all import summarize

    targets = summarize(results, smoke=True)
    assert {t["verdict"] for t in targets} <= {"met", "NOT MET", "n/a"}
    assert any(t["target"].startswith("fan-out") for t in targets)


def test_scaleout(results: Path) -> None:
    from arena.testing.postgres import PostgresServer
    from arena.testing.redis import RedisServer
    from tests.conftest import missing_server

    if PostgresServer.find() is None or RedisServer.find() is None:
        missing_server("bench.scaleout needs PostgreSQL and redis-server")
    result = smoke("scaleout", results, timeout=180)
    assert {r["store"] for r in result["persist"]} == {"sqlite", "postgresql"}
    assert all(r["fills_per_s"] > 0 for r in result["persist"])
    for replicas in ("one_replica", "two_replicas"):
        run = result["fanout"][replicas]
        assert run["errors"] == [] and run["delivered"] > 0 and run["added_ms_p50"] is not None, run
