"""The `arena` command: serve, run, sweep, db, export-schema, export-prices, native."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from arena import native
from arena.agents.spec import MAIN_STRATEGIES, AgentSpec
from arena.config import ROLES, get_settings
from arena.domain.events import AgentSnapshot
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode
from arena.feeds.live.exchanges import LiveOptions
from arena.feeds.spec import FeedMode, FeedSpec, SpeedSpec
from arena.store.errors import StoreError
from arena.sweep.grid import MAX_COMBINATIONS as _SWEEP_LIMIT


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(args, "log_level", "INFO").upper(), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # arena.store.migrate says what changed, in one line
    for chatty in ("httpx", "httpx2", "openai"):  # a line per model request: the decisions are recorded anyway
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except ArenaError as exc:
        print(f"error [{exc.code.value}]: {exc.message}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"error [STORE]: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arena", description="Trading Arena: a live paper-trading arena.")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="start the GraphQL server, the market feed and the dashboard")
    serve.add_argument("--host", default=None, help="default 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default 8000")
    serve.add_argument(
        "--db",
        default=None,
        help="SQLite file, or sqlite+aiosqlite:// or postgresql+asyncpg:// URL (default data/arena.db)",
    )
    serve.add_argument(
        "--feed",
        default=None,
        help="market feed: auto (the default: Coinbase live, or simulated when offline), live:EXCHANGE[:SYM,...] "
        "(coinbase, binance, kraken), sim, sim:SEED or replay:PATH[,PATH...]",
    )
    serve.add_argument("--live-url", default=None, help="a live feed's websocket URL instead of the exchange's own")
    serve.add_argument("--live-rest-url", default=None, help="and its REST URL (the first day's candles)")
    serve.add_argument("--tick-interval", type=float, default=None, help="seconds between market rounds (default 1)")
    serve.add_argument("--demo", action="store_true", default=None, help="start a demo competition at once")
    serve.add_argument(
        "--role",
        default=None,
        choices=ROLES,
        help="all (the default): one process; engine: runs the feed and the competitions, one active per "
        "PostgreSQL database, others stand by and take over; api: a replica serving the API from the "
        "database and the broker (default: $ARENA_ROLE or all)",
    )
    serve.add_argument(
        "--broker", default=None, help="redis://HOST:PORT/DB: live events from the engine to API replicas"
    )
    serve.add_argument("--token", default=None, help="operator token (default: $ARENA_OPERATOR_TOKEN, or generated)")
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="the database's schema: its revision, and upgrading it")
    db.add_argument(
        "action", choices=["upgrade", "current"], help="upgrade to this version's schema, or show the revision"
    )
    db.add_argument("--db", default=None, help="SQLite file or database URL (default: $ARENA_DB or data/arena.db)")
    db.set_defaults(handler=_db)

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument("--output", "-o", default=None, help="write to this file instead of stdout")
    export.set_defaults(handler=_export_schema)

    prices = commands.add_parser(
        "export-prices", help="write stored prices as replay CSV (one file per symbol), e.g. a live session's"
    )
    source = prices.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--feed-id", default=None, help="the ticks of this feed (its `arena.feed.id`, e.g. live:coinbase)"
    )
    source.add_argument("--competition", default=None, help="the prices of this competition's rounds")
    prices.add_argument(
        "--out",
        "-o",
        default="data/replay",
        help="a directory for SYMBOL-ticks.csv files (default data/replay), or FILE.csv for one symbol's prices",
    )
    prices.add_argument("--symbol", default=None, help="only this symbol")
    prices.add_argument(
        "--interval", type=float, default=0, help="seconds per bar (default 0: one bar per stored tick)"
    )
    prices.add_argument("--db", default=None, help="SQLite file or database URL (default: $ARENA_DB or data/arena.db)")
    prices.set_defaults(handler=_export_prices)

    run = commands.add_parser("run", help="run a headless competition and print the leaderboard")
    run.add_argument(
        "--feed",
        default="sim",
        help="sim, sim:SEED, replay:PATH[,PATH...] or live:EXCHANGE[:SYM,...] (default: sim)",
    )
    run.add_argument("--live-url", default=None, help="a live feed's websocket URL instead of the exchange's own")
    run.add_argument("--live-rest-url", default=None, help="and its REST URL")
    run.add_argument("--tick-interval", type=float, default=1.0, help="seconds per round on a live feed (default 1)")
    run.add_argument("--symbols", default=None, help="comma-separated symbols (sim) or one name per replay file")
    run.add_argument(
        "--agents",
        default=",".join((*MAIN_STRATEGIES, "random")),
        help="comma-separated strategies, or NAME=STRATEGY to name one (default: %(default)s)",
    )
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="AGENT.KEY=VALUE",
        help="a parameter of the agent named AGENT (repeatable; VALUE is JSON, or else text): "
        "--param llm.decide_every=5",
    )
    run.add_argument("--model", default=None, help="the model every llm agent asks (its `model` param)")
    run.add_argument(
        "--llm-base-url", default=None, help="the OpenAI-compatible endpoint of every llm agent (its `base_url`)"
    )
    run.add_argument("--rounds", type=int, default=None, help="rounds to play (default: all data, or 1000 on sim)")
    run.add_argument("--duration", type=float, default=None, help="seconds of running time")
    run.add_argument("--speed", default="max", help="max, a replay factor like 10x, or seconds per round like 0.5s")
    run.add_argument("--cash", default="10000", help="starting cash per agent")
    run.add_argument("--fee-bps", default="10")
    run.add_argument("--slippage-bps", default="5")
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--name", default="Headless run")
    run.add_argument("--db", default=None, help="SQLite file (default: the server's database)")
    run.add_argument("--no-db", action="store_true", help="do not persist")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.set_defaults(handler=_run)
    _sweep_parser(commands)

    compile_round = commands.add_parser(
        "native", help="compile the round's modules with mypyc (backtests run about twice as fast), or --check"
    )
    compile_round.add_argument(
        "--check", action="store_true", help="say whether the compiled modules are in use (exit 1 if not)"
    )
    compile_round.add_argument("--quiet", action="store_true", help="show the compiler's output only if it fails")
    compile_round.add_argument(
        "--if-stale",
        action="store_true",
        help="build only if the build is missing or out of date, and only where there is a C compiler (make does)",
    )
    compile_round.set_defaults(handler=_native)
    return parser


def _sweep_parser(commands: Any) -> None:
    sweep = commands.add_parser(
        "sweep", help="run one strategy over a grid of parameters, a headless competition per combination"
    )
    sweep.add_argument("--feed", default="sim", help="replay:PATH[,PATH...], sim or sim:SEED (default: sim)")
    sweep.add_argument("--symbols", default=None, help="comma-separated symbols (sim) or one name per replay file")
    sweep.add_argument("--agent", required=True, metavar="STRATEGY", help="the strategy to sweep, e.g. momentum")
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a parameter's values (repeatable); an item may be a range START:STOP:STEP, STOP included: "
        "--grid fast_window=5,10,20 --grid slow_window=30:90:30",
    )
    sweep.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter fixed for every run"
    )
    sweep.add_argument("--workers", type=int, default=None, help="runs at a time (default: one per core)")
    sweep.add_argument("--rounds", type=int, default=None, help="rounds per run (default: all data, or 1000 on sim)")
    sweep.add_argument("--cash", default="10000", help="starting cash")
    sweep.add_argument("--fee-bps", default="10")
    sweep.add_argument("--slippage-bps", default="5")
    sweep.add_argument("--seed", type=int, default=42)
    store = sweep.add_mutually_exclusive_group()
    store.add_argument("--db", default=None, help="SQLite file (default: the server's database)")
    store.add_argument("--no-db", action="store_true", help="store nothing: the results table only")
    sweep.add_argument("--json", default=None, metavar="FILE", help="also write the ranked results as JSON")
    sweep.add_argument("--yes", action="store_true", help=f"run grids of more than {_SWEEP_LIMIT} combinations")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=_sweep)


def _run(args: argparse.Namespace) -> int:
    from arena.app.headless import run_headless

    symbols = tuple(s.strip() for s in args.symbols.split(",")) if args.symbols else ()
    feed = FeedSpec.parse(args.feed, seed=args.seed, symbols=symbols)
    rounds = args.rounds
    if feed.mode is FeedMode.SIM and rounds is None and args.duration is None:
        rounds = 1000
    if feed.mode is FeedMode.LIVE and rounds is None and args.duration is None:
        print("error [INVALID_CONFIG]: a live run needs --rounds or --duration", file=sys.stderr)
        return 2
    agents = _agent_specs(args)
    config = CompetitionConfig(
        name=args.name,
        symbols=symbols or (feed.symbols if feed.symbols else CompetitionConfig().symbols),
        feed=feed,
        rounds=rounds,
        duration_s=args.duration,
        speed=SpeedSpec.parse(args.speed),
        starting_cash=Decimal(args.cash),
        agents=agents,
        fee_bps=Decimal(args.fee_bps),
        slippage_bps=Decimal(args.slippage_bps),
        seed=args.seed,
    )
    db_path = None if args.no_db else (args.db or get_settings().db)

    def progress(round_number: int, elapsed: float, waited: float) -> None:
        if not args.quiet:
            rate = round_number * len(agents) / elapsed if elapsed else 0.0
            models = f"  {waited:.1f}s waiting on models" if waited else ""
            print(f"  round {round_number:,}  {elapsed:6.1f}s  {rate:,.0f} bar-steps/s{models}", file=sys.stderr)

    live = LiveOptions(url=args.live_url, rest_url=args.live_rest_url, interval=args.tick_interval)
    report = asyncio.run(run_headless(config, db_path, progress, live))
    print(f"\nCompetition {report.competition_id}: {report.status} after {report.rounds:,} rounds")
    print(_table(report.leaderboard, report.winner_id))
    print(
        f"\n{report.rounds:,} bars x {report.agents} agents in {report.seconds:.2f}s = "
        f"{report.bar_steps_per_second:,.0f} bar-steps/s; {report.fills:,} fills"
        + (f" persisted to {db_path}" if db_path else "")
        + f"; {native.status().describe()}"
    )
    if report.model_requests:
        print(f"{report.model_requests:,} model requests; the rounds waited {report.model_wait_s:.1f}s on models")
    return 0


def _native(args: argparse.Namespace) -> int:
    if args.check:
        current = native.status()
        print(current.describe())
        return 0 if current.active else 1
    from arena.native_build import BuildError, build, compiler

    if args.if_stale:
        problem, _ = native.inspect_build()
        if problem is None:
            return 0
        if compiler() is None:
            print(f"the round is not compiled ({problem}) and there is no C compiler here: the sources run")
            return 0
    started = time.perf_counter()
    try:
        manifest = build(quiet=args.quiet)
    except BuildError as exc:
        print(f"error [NATIVE]: {exc}", file=sys.stderr)
        return 2
    print(
        f"compiled {len(native.NATIVE_MODULES)} modules with mypyc in {time.perf_counter() - started:.0f}s "
        f"into {manifest.parent}: arena uses them from its next start"
    )
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from tqdm import tqdm  # type: ignore[import-untyped]
    from tqdm.contrib.logging import logging_redirect_tqdm  # type: ignore[import-untyped]

    from arena.sweep.grid import parse_grid
    from arena.sweep.plan import plan_sweep
    from arena.sweep.report import table, write_json
    from arena.sweep.runner import run_sweep
    from arena.sweep.worker import RunResult

    if args.workers is not None and args.workers < 1:
        raise ArenaError(ErrorCode.INVALID_CONFIG, f"--workers must be 1 or more, got {args.workers}", "workers")
    symbols = tuple(s.strip() for s in args.symbols.split(",")) if args.symbols else ()
    feed = FeedSpec.parse(args.feed, seed=args.seed, symbols=symbols)
    rounds = 1000 if feed.mode is FeedMode.SIM and args.rounds is None else args.rounds
    grid = parse_grid(args.agent, args.grid, args.param, allow_many=args.yes)
    base = CompetitionConfig(
        symbols=symbols or CompetitionConfig().symbols,
        feed=feed,
        rounds=rounds,
        starting_cash=_decimal(args.cash, "--cash"),
        fee_bps=_decimal(args.fee_bps, "--fee-bps"),
        slippage_bps=_decimal(args.slippage_bps, "--slippage-bps"),
        seed=args.seed,
    )
    plan = plan_sweep(grid, base)
    db_path = None if args.no_db else (args.db or get_settings().db)
    if args.json:
        _check_writable(Path(args.json), "json")  # before the runs, not after minutes of them

    bar = tqdm(total=plan.size, desc=f"sweep {grid.strategy}", unit="run", file=sys.stderr, disable=args.quiet)
    with bar, logging_redirect_tqdm():  # log lines above the bar, not through it
        best: float | None = None

        def finished(result: RunResult) -> None:
            nonlocal best
            best = result.return_pct if best is None else max(best, result.return_pct)
            bar.set_postfix_str(f"best {best:+.2f}%", refresh=False)
            bar.update(1)

        done = run_sweep(plan, db=db_path, workers=args.workers, on_result=finished)
    print(f"{grid.strategy} on {plan.feed_description}, {plan.size} runs ranked by return:")
    print(table(plan, done.results))
    rounds_run = {r.rounds for r in done.results}
    each = f"{rounds_run.pop():,}" if len(rounds_run) == 1 else "up to " + f"{max(rounds_run):,}"
    where = f"; stored as {plan.size} competitions in {done.stored_in}" if done.stored_in else ""
    workers = f"{done.workers} worker" + ("s" if done.workers > 1 else "")
    print(f"\n{plan.size} runs x {each} rounds in {done.seconds:.2f}s on {workers}{where}")
    if args.json:
        write_json(Path(args.json), plan, done.results, stored=done.stored_in is not None)
        print(f"results written to {args.json}")
    return 0


def _check_writable(path: Path, option: str) -> None:
    folder = path.parent  # Path(".") for a bare file name
    if path.is_dir():
        raise ArenaError(ErrorCode.INVALID_CONFIG, f"--{option} {path} is a folder, not a file", option)
    if not folder.is_dir():
        raise ArenaError(ErrorCode.INVALID_CONFIG, f"--{option} {path}: no folder {folder}", option)
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ArenaError(ErrorCode.INVALID_CONFIG, f"--{option} {path} cannot be written", option)


def _decimal(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise ArenaError(ErrorCode.INVALID_CONFIG, f"{option} must be a number, got {text!r}") from None
    return value


def _agent_specs(args: argparse.Namespace) -> tuple[AgentSpec, ...]:
    """`--agents` (STRATEGY or NAME=STRATEGY), with `--param`, `--model` and `--llm-base-url` applied."""
    named: list[tuple[str, str]] = []
    for entry in (e.strip() for e in args.agents.split(",")):
        if not entry:
            continue
        name, _, strategy = entry.rpartition("=")
        strategy = strategy.strip()
        named.append((_unique(name.strip() or strategy, [n for n, _ in named]), strategy))
    params: dict[str, dict[str, Any]] = {name: {} for name, _ in named}
    for name, strategy in named:
        if strategy == "llm":
            if args.model:
                params[name]["model"] = args.model
            if args.llm_base_url:
                params[name]["base_url"] = args.llm_base_url
    for given in args.param:
        target, _, value = given.partition("=")
        agent, _, key = target.rpartition(".")
        if not agent or not key or not _:
            raise ArenaError(ErrorCode.INVALID_CONFIG, f"--param {given!r}: expected AGENT.KEY=VALUE", "params")
        if agent not in params:
            raise ArenaError(
                ErrorCode.INVALID_CONFIG, f"--param {given!r}: no agent named {agent!r} in --agents", "params"
            )
        try:
            params[agent][key] = json.loads(value)
        except json.JSONDecodeError:
            params[agent][key] = value
    return tuple(AgentSpec(name=name, strategy=strategy, params=params[name]) for name, strategy in named)


def _check_role(settings: Any) -> None:
    if settings.role not in ROLES:
        raise ArenaError(ErrorCode.INVALID_CONFIG, f"unknown role {settings.role!r}: one of {', '.join(ROLES)}", "role")
    if settings.broker is not None and not settings.broker.startswith(("redis://", "rediss://", "unix://")):
        raise ArenaError(ErrorCode.INVALID_CONFIG, "--broker takes a redis:// URL", "broker")
    if settings.role != "all" and not settings.operator_token:
        raise ArenaError(
            ErrorCode.INVALID_CONFIG,
            f"--role {settings.role} needs --token or ARENA_OPERATOR_TOKEN: every engine and replica must share "
            "one (a generated token would differ from process to process)",
            "token",
        )
    if settings.role == "api":
        if settings.broker is None:
            raise ArenaError(
                ErrorCode.INVALID_CONFIG, "--role api needs --broker redis://... (the engine's events)", "broker"
            )
        if "://" not in settings.db or not settings.db.startswith("postgres"):
            raise ArenaError(
                ErrorCode.INVALID_CONFIG, "--role api reads the engine's database: --db postgresql+asyncpg://...", "db"
            )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    _GracefulServer = _graceful_server_class()
    from arena.api.auth import generate_token
    from arena.main import create_app

    settings = get_settings(
        host=args.host,
        port=args.port,
        db=args.db,
        feed=args.feed,
        tick_interval=args.tick_interval,
        live_url=args.live_url,
        live_rest_url=args.live_rest_url,
        demo=args.demo,
        operator_token=args.token,
        log_level=args.log_level,
        role=args.role,
        broker=args.broker,
    )
    _check_role(settings)
    generated = settings.operator_token is None
    if generated:
        settings = settings.with_overrides(operator_token=generate_token())
    asyncio.run(_upgrade_database(settings.db))  # before serving: a refusal is a clear message, not a traceback
    app = create_app(settings)
    url = f"http://{settings.host}:{settings.port}/"
    print(f"Trading Arena on {url}  (GraphQL and GraphiQL at {url}graphql)", flush=True)
    if generated:
        print(
            f"Operator token generated for this run. Open the dashboard with it:\n"
            f"    {url}?token={settings.operator_token}",
            flush=True,
        )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
        ws_ping_interval=20,
        timeout_graceful_shutdown=5,
        ws_per_message_deflate=False,
    )  # ~43 KiB and ~10 µs per small frame, for nothing
    sockets = (
        [_listening_socket(settings.host, settings.port, settings.socket_send_buffer)]
        if settings.socket_send_buffer
        else None
    )
    _GracefulServer(config).run(sockets=sockets)
    return 0


def _listening_socket(host: str, port: int, send_buffer: int):  # type: ignore[no-untyped-def]
    """A listening socket whose accepted connections inherit a bounded kernel send buffer."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _graceful_server_class() -> type:
    import uvicorn

    class GracefulServer(uvicorn.Server):
        """SIGTERM/SIGINT shut down cleanly and exit 0, instead of re-raising the signal afterwards."""

        def handle_exit(self, sig: int, frame: object) -> None:
            super().handle_exit(sig, frame)  # type: ignore[arg-type]
            self._captured_signals.clear()

    return GracefulServer


async def _upgrade_database(path_or_url: str) -> str:
    from arena.store.db import Database

    db = Database.open(path_or_url)
    try:
        return (await db.init()).after
    finally:
        await db.close()


def _db(args: argparse.Namespace) -> int:
    from arena.store.db import Database
    from arena.store.migrate import current_revision, head_revision

    settings = get_settings(db=args.db)
    if args.action == "upgrade":
        print(f"database at schema revision {asyncio.run(_upgrade_database(settings.db))}")
        return 0

    async def current() -> str | None:
        db = Database.open(settings.db)
        try:
            return await current_revision(db.engine)
        finally:
            await db.close()

    revision = asyncio.run(current())
    head = head_revision()
    state = "up to date" if revision == head else f"this version's is {head}: run `arena db upgrade`"
    print(f"database at schema revision {revision or '(none)'}; {state}")
    return 0


def _export_schema(args: argparse.Namespace) -> int:
    from arena.api.schema import schema

    sdl = schema.as_str() + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def _export_prices(args: argparse.Namespace) -> int:
    from arena.app.export import export_prices
    from arena.feeds.naming import symbol_from_filename
    from arena.store.db import Database

    if args.interval < 0:
        print("error [INVALID_INPUT]: --interval must be 0 or more seconds", file=sys.stderr)
        return 2

    async def export() -> dict[str, tuple[Path, int]]:
        db = Database.open(get_settings(db=args.db).db)
        try:
            await db.init()
            done = await export_prices(
                db,
                Path(args.out),
                feed_id=args.feed_id,
                competition_id=args.competition,
                symbol=args.symbol,
                interval=args.interval,
            )
        finally:
            await db.close()
        return {name: (path, done.rows[name]) for name, path in done.files.items()}

    written = asyncio.run(export())
    if not written:
        print("error [NOT_FOUND]: no stored prices match", file=sys.stderr)
        return 2
    for name, (path, rows) in written.items():
        print(f"{name}: {rows:,} bars -> {path}")
        replayed_as = symbol_from_filename(path.name)
        if replayed_as != name:
            print(
                f"note: a replay of {path.name} calls its symbol {replayed_as}; name it {name}-ticks.csv to keep {name}"
            )
    paths = ",".join(str(path) for path, _ in written.values())
    print(f"replay with: arena run --feed replay:{paths}")
    return 0


def _unique(name: str, earlier: list[str]) -> str:
    count = earlier.count(name)
    return f"{name}-{count + 1}" if count else name


def _table(board: Sequence[AgentSnapshot], winner_id: str | None) -> str:
    header = ("#", "agent", "strategy", "equity", "return %", "PnL", "trades", "win %", "scars", "max DD %", "Sharpe")
    rows = [header]
    for s in board:
        pnl = s.realized_pnl + s.unrealized_pnl
        rows.append(
            (
                str(s.rank) + ("*" if s.agent_id == winner_id else ""),
                s.name,
                s.strategy,
                f"{s.equity:,.2f}",
                f"{s.return_pct:+.2f}",
                f"{pnl:,.2f}",
                str(s.trade_count),
                "-" if s.win_rate is None else f"{s.win_rate * 100:.0f}",
                str(s.scars),
                f"{s.max_drawdown * 100:.2f}",
                "-" if s.sharpe is None else f"{s.sharpe:.3f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.rjust(w) if i >= 3 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
