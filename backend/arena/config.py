"""Settings: one class, read from the environment (ARENA_*) and overridden by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from arena.feeds.spec import DEFAULT_SYMBOLS

ENV_PREFIX = "ARENA_"
ROLES = ("all", "engine", "api")  # what `arena serve --role` runs


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    db: str = "data/arena.db"  # an SQLite file path, or an sqlite+aiosqlite:// or postgresql+asyncpg:// URL
    role: str = "all"  # all: API and engine in one process; engine: active or standby (PostgreSQL); api: a replica
    lease_retry_seconds: float = 0.5  # how often a standby engine tries for the lease
    broker: str | None = None  # redis://...: the live events from the engine to the API replicas
    engine_timeout: float = 10.0  # seconds an API replica waits for the engine to answer a command
    feed: str = "auto"  # the market feed from server start: auto, sim[:SEED], replay:PATHS, live:EXCHANGE[:SYMBOLS]
    seed: int = 42
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    tick_interval: float = 1.0  # wall seconds between market rounds
    live_url: str | None = None  # a live feed's websocket endpoint instead of the exchange's own
    live_rest_url: str | None = None  # and its REST endpoint (for the first day's candles)
    live_stale_seconds: float = 10.0  # a live feed silent this long is STALE (and reconnects after as long again)
    auto_probe_seconds: float = 5.0  # `--feed auto` waits this long for Coinbase before simulating
    demo: bool = False  # start a demo competition at once
    operator_token: str | None = None  # generated at start when unset
    public_queries: bool = True
    public_subscriptions: bool = True
    log_level: str = "info"
    replay_dirs: tuple[str, ...] = ("../shared/data", "data/replay")  # where replay files may be chosen from
    max_subscriptions_per_connection: int = 20
    connection_init_timeout: float = 10.0  # seconds a websocket may wait before connection_init (then 4408)
    socket_send_buffer: int = (
        0  # SO_SNDBUF per connection in bytes (0: the OS default); bounds what a stalled client can hold
    )
    subscriber_queue: int = 1024  # messages buffered per subscriber before it is dropped as too slow
    tune_gc: bool = True  # freeze the startup heap and make full collections rare (main.py; off for in-process tests)
    subscription_groups: bool = True  # same document + variables: one execution per event for all (api.fanout)
    query_cache: bool = True  # results of stored-only queries kept until the next commit (api.query_cache)
    alerts_allow_private: bool = False  # alert targets on loopback/private addresses (tests, a LAN receiver)
    alerts_retry_base: float = 1.0  # seconds before an alert delivery's first retry (doubling, up to 5 min)
    bot_orders_per_second: float = 5.0  # per bot, bursts up to the same number
    frontend_dir: str = str(Path(__file__).resolve().parents[2] / "frontend")
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def get_settings(**overrides: Any) -> Settings:
    """Defaults, then ARENA_* environment variables, then explicit overrides."""
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = os.environ.get(ENV_PREFIX + f.name.upper())
        if raw is None or raw == "" or f.name == "extra":
            continue
        values[f.name] = _parse(f.type, raw)
    return Settings(**values).with_overrides(**overrides)


def _parse(type_name: Any, raw: str) -> Any:
    kind = str(type_name)
    if kind.startswith("bool"):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind.startswith("int"):
        return int(raw)
    if kind.startswith("float"):
        return float(raw)
    if kind.startswith("tuple"):
        return tuple(s.strip() for s in raw.split(",") if s.strip())
    return raw
