"""Every benchmark's --smoke mode runs and writes its result: the benchmarks work (the numbers are not checked).

Each runs as the command a person would type (`python -m bench.<name> --smoke`), into a
temporary results folder. The query benchmark needs wrk (apt-get install -y wrk) and is
skipped where it is absent; the fast-forward one needs ../shared/data.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-results")


def smoke(name: str, out: Path, timeout: float = 60) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"bench.{name} --smoke failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    path = out / f"{name}-smoke.json"
    assert path.exists(), f"bench.{name} wrote no result:\n{done.stdout[-2000:]}"
    result = json.loads(path.read_text())
    assert result["smoke"] is True and result["machine"]["nproc"]
    return result


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


def test_fastforward(results: Path, shared_data_dir: Path) -> None:
    result = smoke("fastforward", results)
    runs = {r["run"]: r for r in result["rows"]}
    assert set(runs) == {"arena", "arena --no-db", "bare loop"}
    assert runs["arena"]["bars"] == runs["bare loop"]["bars"] == 2000 and runs["arena"]["fills"] > 0


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
