"""What a feed is asked to be (simulated or a replay) and how fast it plays: serializable specs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from arena.errors import ArenaError, ErrorCode

DEFAULT_SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD")


class FeedMode(StrEnum):
    SIM = "sim"
    REPLAY = "replay"
    LIVE = "live"  # an exchange's public websocket
    AUTO = "auto"  # live from Coinbase when it answers, else the simulation (the server's default)


class SpeedMode(StrEnum):
    REALTIME = "realtime"  # one round every `interval_s` wall seconds
    FACTOR = "factor"  # replay: feed time / factor
    MAX = "max"  # as fast as possible


@dataclass(frozen=True, slots=True)
class FeedSpec:
    mode: FeedMode = FeedMode.SIM
    seed: int = 42
    paths: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()  # replay: one per path; sim: defaults to DEFAULT_SYMBOLS
    step_seconds: float = 60.0  # sim: feed time between ticks
    start: str | None = None  # sim: ISO time of the first tick; fixed at start so a resume replays it exactly
    exchange: str | None = None  # live: coinbase, binance or kraken

    @property
    def label(self) -> str:
        """How the feed is named where it has no owner: `sim:42`, `replay:btc.csv,eth.csv`."""
        if self.mode is FeedMode.SIM:
            return f"sim:{self.seed}"
        if self.mode is FeedMode.LIVE:
            return f"live:{self.exchange}"
        if self.mode is FeedMode.AUTO:
            return "auto"
        return "replay:" + ",".join(Path(p).name for p in self.paths)

    @classmethod
    def parse(cls, text: str, seed: int = 42, symbols: tuple[str, ...] = ()) -> FeedSpec:
        """`sim`, `sim:SEED`, `replay:PATH[,PATH...]`, `live:EXCHANGE[:SYMBOL,...]` or `auto`."""
        kind, _, rest = text.partition(":")
        if kind == FeedMode.AUTO.value and not rest:
            return cls(FeedMode.AUTO, seed=seed, symbols=symbols)
        if kind == FeedMode.LIVE.value and rest:
            exchange, _, names = rest.partition(":")
            wanted = tuple(s.strip() for s in names.split(",") if s.strip()) or symbols
            return cls(FeedMode.LIVE, seed=seed, symbols=wanted, exchange=exchange.strip().lower())
        if kind == FeedMode.SIM.value:
            if rest and not (rest.isascii() and rest.isdigit()):
                raise ArenaError(ErrorCode.INVALID_CONFIG, f"a simulation seed is a whole number, got {rest!r}", "feed")
            return cls(FeedMode.SIM, seed=int(rest) if rest else seed, symbols=symbols)
        if kind == FeedMode.REPLAY.value and rest:
            paths = tuple(p for p in rest.split(",") if p)
            return cls(FeedMode.REPLAY, seed=seed, paths=paths, symbols=symbols)
        raise ArenaError(
            ErrorCode.INVALID_CONFIG,
            f"feed must be 'sim', 'sim:SEED', 'replay:PATH[,PATH...]', 'live:EXCHANGE[:SYMBOL,...]' or 'auto', "
            f"got {text!r}",
            "feed",
        )


@dataclass(frozen=True, slots=True)
class SpeedSpec:
    mode: SpeedMode = SpeedMode.REALTIME
    interval_s: float = 1.0
    factor: float = 1.0

    @classmethod
    def parse(cls, text: str) -> SpeedSpec:
        """`max`, `10x` (replay factor) or `0.5s` / `0.5` (seconds per round)."""
        text = text.strip().lower()
        try:
            if text == "max":
                return cls(SpeedMode.MAX)
            if text.endswith("x"):
                return cls(SpeedMode.FACTOR, factor=float(text[:-1])).validated()
            return cls(SpeedMode.REALTIME, interval_s=float(text.removesuffix("s"))).validated()
        except ValueError:
            raise ArenaError(
                ErrorCode.INVALID_CONFIG,
                f"speed must be 'max', a replay factor like '10x', or seconds per round like '0.5s', got {text!r}",
                "speed",
            ) from None

    @property
    def is_max(self) -> bool:
        return self.mode is SpeedMode.MAX

    def validated(self) -> SpeedSpec:
        if self.mode is SpeedMode.FACTOR and not (1.0 <= self.factor <= 100.0):
            raise ArenaError(ErrorCode.INVALID_CONFIG, "replay factor must be between 1x and 100x", "speed")
        if self.mode is SpeedMode.REALTIME and not (0.001 <= self.interval_s <= 3600):
            raise ArenaError(ErrorCode.INVALID_CONFIG, "round interval must be between 0.001 and 3600 seconds", "speed")
        return self
