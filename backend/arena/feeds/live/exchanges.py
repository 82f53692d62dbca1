"""The exchanges a live feed can read, by the name `--feed live:NAME` uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arena.errors import ArenaError, ErrorCode
from arena.feeds.live.binance import Binance
from arena.feeds.live.coinbase import Coinbase
from arena.feeds.live.connection import FeedObserver
from arena.feeds.live.feed import ExchangeFeed
from arena.feeds.live.kraken import Kraken
from arena.feeds.live.protocol import Exchange

EXCHANGES: dict[str, Exchange] = {exchange.name: exchange for exchange in (Coinbase(), Binance(), Kraken())}


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How live feeds connect: endpoints (tests, proxies, mirrors such as Binance's market-data-only
    wss://data-stream.binance.vision), the round interval and when a silent connection counts as stale."""

    url: str | None = None
    rest_url: str | None = None
    interval: float = 1.0
    stale_after: float = 10.0
    observer: FeedObserver | None = None


def exchange_named(name: str | None) -> Exchange:
    exchange = EXCHANGES.get(name or "")
    if exchange is None:
        raise ArenaError(
            ErrorCode.INVALID_CONFIG,
            f"unknown exchange {name!r} for a live feed; known: {', '.join(sorted(EXCHANGES))}",
            "feed",
        )
    return exchange


def live_feed(name: str | None, symbols: Sequence[str], feed_id: str, options: LiveOptions) -> ExchangeFeed:
    """A live feed of `symbols` (default: the exchange's own defaults); unknown ones are refused."""
    exchange = exchange_named(name)
    return ExchangeFeed(
        exchange,
        tuple(symbols) or exchange.default_symbols,
        feed_id=feed_id,
        url=options.url,
        rest_url=options.rest_url,
        interval=options.interval,
        stale_after=options.stale_after,
        observer=options.observer,
    )
