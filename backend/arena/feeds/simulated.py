"""A deterministic simulated market: geometric Brownian motion per symbol."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arena.domain.market import Quote, QuoteBatch
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import FeedInfo, FeedKind
from arena.feeds.changes import ChangeTracker

logger = logging.getLogger(__name__)

SECONDS_PER_YEAR = 365.25 * 24 * 3600
# Traded notional per minute of feed time that simulated volumes are drawn around.
NOTIONAL_PER_MINUTE = 250_000.0
VOLUME_DISPERSION = 0.5  # sigma of the log-normal factor applied to each volume
VOLUME_DECIMALS = 4
# Log prices are kept below this (a price of 1e15) so absurd drifts cannot overflow a float.
MAX_LOG_PRICE = math.log(1e15)


@dataclass(frozen=True, slots=True)
class SimSymbol:
    """One simulated instrument: start price, annualized drift and volatility."""

    symbol: str
    start_price: Decimal
    drift: float
    volatility: float
    decimals: int = 2

    def __post_init__(self) -> None:
        if not self.symbol.strip():
            raise _config_error("a simulated symbol needs a name")
        if not (self.start_price.is_finite() and self.start_price > 0):
            raise _config_error(f"{self.symbol}: start price must be positive, got {self.start_price}")
        if not (math.isfinite(self.drift) and math.isfinite(self.volatility) and self.volatility >= 0):
            raise _config_error(f"{self.symbol}: drift must be finite and volatility finite and >= 0")
        if not 0 <= self.decimals <= 8:
            raise _config_error(f"{self.symbol}: decimals must be between 0 and 8, got {self.decimals}")


DEFAULT_SIM_SYMBOLS: tuple[SimSymbol, ...] = (
    SimSymbol("BTC-USD", Decimal("65000"), drift=0.0, volatility=0.60),
    SimSymbol("ETH-USD", Decimal("3400"), drift=0.0, volatility=0.75),
    SimSymbol("SOL-USD", Decimal("150"), drift=0.0, volatility=0.95),
)
GENERIC_START_PRICE = Decimal("100")
GENERIC_VOLATILITY = 0.8

_DEFAULTS_BY_NAME = {spec.symbol: spec for spec in DEFAULT_SIM_SYMBOLS}


def default_sim_symbol(name: str) -> SimSymbol:
    """The built-in parameters for ``name``, or a generic instrument (price 100, vol 0.8)."""
    known = _DEFAULTS_BY_NAME.get(name)
    if known is not None:
        return known
    return SimSymbol(name, GENERIC_START_PRICE, drift=0.0, volatility=GENERIC_VOLATILITY)


class SimulatedFeed:
    """Quotes from a seeded GBM: the same seed always gives the identical sequence.

        Each step of ``step_seconds`` of feed time, every symbol's log price moves by
        ``(drift - volatility**2 / 2) * dt + volatility * sqrt(dt) * Z`` with
        ``dt = step_seconds / SECONDS_PER_YEAR`` and ``Z`` a standard normal draw from
        ``random.Random(seed)``; a volume is drawn from the same generator right after.
        Batch ``i`` is stamped ``start + i * step_seconds`` and batch 0 holds the
        start prices. Prices are rounded to the symbol's ``decimals`` and never fall
        below one unit of the last decimal, so they are always positive (nor above
    1e15, so that absurd parameters cannot overflow).

        ``symbols`` may mix `SimSymbol`s and names; a name gets `default_sim_symbol`.
        ``feed_id`` names the feed in stored ticks (default ``sim:SEED``).
    """

    def __init__(
        self,
        symbols: Sequence[SimSymbol | str] | None,
        seed: int,
        step_seconds: float = 60.0,
        start: datetime | None = None,
        feed_id: str | None = None,
    ) -> None:
        specs = tuple(default_sim_symbol(s) if isinstance(s, str) else s for s in (symbols or DEFAULT_SIM_SYMBOLS))
        names = tuple(spec.symbol for spec in specs)
        if len(set(names)) != len(names):
            raise _config_error(f"simulated symbols must be unique, got {', '.join(names)}")
        if not (math.isfinite(step_seconds) and step_seconds > 0):
            raise _config_error(f"step_seconds must be positive, got {step_seconds}")
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        elif start.tzinfo is None or start.utcoffset() is None:
            raise _config_error("the simulation start must be a timezone-aware datetime")
        self._specs = specs
        self._seed = seed
        self._step_seconds = step_seconds
        self._step = timedelta(seconds=step_seconds)
        self._start = start.astimezone(UTC)
        self._info = FeedInfo(
            id=feed_id or f"sim:{seed}",
            kind=FeedKind.SIMULATED,
            symbols=names,
            seed=seed,
            description=f"Simulated GBM, seed {seed}, {step_seconds:g}s steps",
        )
        logger.debug("simulated feed: %s, symbols %s, start %s", self._info.description, names, self._start)

    @property
    def info(self) -> FeedInfo:
        return self._info

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def symbols(self) -> tuple[SimSymbol, ...]:
        return self._specs

    def batches(self) -> Iterator[QuoteBatch]:
        """An endless sequence of batches, from the beginning on every call."""
        rng = random.Random(self._seed)
        changes = ChangeTracker()
        dt = self._step_seconds / SECONDS_PER_YEAR
        sqrt_dt = math.sqrt(dt)
        drifts = [(spec.drift - 0.5 * spec.volatility**2) * dt for spec in self._specs]
        shocks = [spec.volatility * sqrt_dt for spec in self._specs]
        log_prices = [math.log(spec.start_price) for spec in self._specs]
        floors = [Decimal(1).scaleb(-spec.decimals) for spec in self._specs]
        mean_notional = NOTIONAL_PER_MINUTE * self._step_seconds / 60.0
        step = 0
        while True:
            timestamp = self._start + step * self._step
            quotes = []
            for index, spec in enumerate(self._specs):
                if step:
                    moved = log_prices[index] + drifts[index] + shocks[index] * rng.gauss(0.0, 1.0)
                    log_prices[index] = min(moved, MAX_LOG_PRICE)
                price_float = math.exp(log_prices[index])
                price = max(Decimal(f"{price_float:.{spec.decimals}f}"), floors[index])
                volume = _volume(rng, mean_notional, price_float)
                quotes.append(
                    Quote(
                        symbol=spec.symbol,
                        price=price,
                        timestamp=timestamp,
                        volume=volume,
                        change_pct=changes.update(spec.symbol, price, timestamp),
                    )
                )
            yield QuoteBatch(timestamp, tuple(quotes))
            step += 1


def _volume(rng: random.Random, mean_notional: float, price: float) -> Decimal:
    """A positive, log-normally scattered quantity worth about ``mean_notional``."""
    factor = math.exp(VOLUME_DISPERSION * rng.gauss(0.0, 1.0))
    units = mean_notional * factor / price if price > 0 else mean_notional * factor
    return max(Decimal(f"{units:.{VOLUME_DECIMALS}f}"), Decimal(1).scaleb(-VOLUME_DECIMALS))


def _config_error(message: str) -> ArenaError:
    return ArenaError(ErrorCode.INVALID_CONFIG, message, "feed")
