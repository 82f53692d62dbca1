"""Shared helpers: the machine, results files, tables, percentiles, and the bench server process
(arena.testing.server.ServerProcess running `python -m bench.server`)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from arena.testing.server import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
SHARED_DATA = ROOT.parent / "shared" / "data"
BTC_CSV = SHARED_DATA / "btc-perp-2022-01_1m.csv"
PYTHON = sys.executable
ARENA = str(Path(PYTHON).with_name("arena"))
LIBRARIES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "uvloop",
    "websockets",
    "httptools",
    "sqlalchemy",
    "sqlmodel",
    "aiosqlite",
)


def parse_args(description: str, argv: Sequence[str] | None = None, extra: Any = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--smoke", action="store_true", help="a few seconds: checks the benchmark works, not the numbers"
    )
    parser.add_argument("--out", default=str(RESULTS_DIR), help="folder for the JSON result (default bench/results)")
    if extra is not None:
        extra(parser)
    return parser.parse_args(argv)


# --- the machine ----------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    wrk = shutil.which("wrk")
    wrk_version = None
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout or ""
        wrk_version = out.split("Copyright")[0].strip() or None
    try:
        from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

        ws_impl = getattr(AutoWebSocketsProtocol, "__name__", None)
    except ImportError:
        ws_impl = None
    return {
        "nproc": os.cpu_count(),
        "uvicorn_ws": ws_impl,
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": os.getloadavg(),
        "libraries": versions,
        "wrk": wrk_version,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _git(*args: str) -> str | None:
    try:
        return (
            subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=5).stdout.strip() or None
        )
    except (OSError, subprocess.SubprocessError):
        return None


# --- results -------------------------------------------------------------------------


def write_result(name: str, data: dict[str, Any], out: str | Path = RESULTS_DIR, smoke: bool = False) -> Path:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}{'-smoke' if smoke else ''}.json"
    payload = {
        "benchmark": name,
        "smoke": smoke,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nwrote {path}")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> str:
    cells = [[_cell(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(r[i], (int, float)) or r[i] is None for r in rows) and i > 0 for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    lines = [title] if title else []
    lines.append(line(headers))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(line(r) for r in cells)
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of unsorted values (p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return value / baseline


# --- processes -----------------------------------------------------------------------

BENCH_TOKEN = "bench-operator"


def http_json(url: str, body: Any = None, timeout: float = 10.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass
class BenchServer(ServerProcess):
    """`python -m bench.server` in its own process: the real arena app plus the bench taps."""

    token: str | None = BENCH_TOKEN  # the bench server prints no generated token
    command: Sequence[str] = ("-m", "bench.server")
    ready_path: str = "/_bench/stats"
    cwd: Path | None = ROOT

    @property
    def ws(self) -> str:
        """The websocket base (no path): the fan-out clients add /graphql or /_bench/raw."""
        return f"ws://{self.host}:{self.port}"

    def stats(self, **params: Any) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        return http_json(f"{self.url}/_bench/stats" + (f"?{query}" if query else ""))


@contextmanager
def bench_server(
    workdir: Path,
    name: str,
    kill: bool = False,
    tick_interval: float = 0.1,
    demo: bool = True,
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[BenchServer]:
    """A bench server for the block. kill=True ends it with SIGKILL: nothing of an idle server's
    shutdown is measured, so there is no point waiting for it."""
    args = ("--tick-interval", str(tick_interval), *(["--demo"] if demo else []), *extra)
    server = BenchServer(db=workdir / f"{name}.db", args=args, env=env or {})
    server.start()
    try:
        yield server
    finally:
        server.stop(signal.SIGKILL if kill else signal.SIGTERM)


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"arena-bench-{prefix}-") as folder:
        yield Path(folder)


def run(cmd: Sequence[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """A bounded subprocess; raises with its output on failure."""
    result = subprocess.run(list(cmd), cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited with {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result
