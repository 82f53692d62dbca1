"""What an exchange module provides: its endpoints and symbols, the messages it sends and how to
read what comes back. Public market data only: no key, no account, nothing is ever ordered."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Tick:
    """One price update from an exchange, already in the arena's terms."""

    symbol: str  # as the exchange names it (BTCUSDT, BTC/USD): the feed maps it back to the arena's
    price: Decimal  # the last trade's price
    change_pct: float | None = None  # over 24 h, from the exchange's own figures
    exchange_time: datetime | None = None  # when the exchange says it happened


@dataclass(frozen=True, slots=True)
class Decoded:
    """A message read: what kind it was (for the message counters) and the ticks it carried."""

    kind: str  # e.g. ticker, heartbeat, subscriptions, pong, error
    ticks: tuple[Tick, ...] = ()
    error: str | None = None  # an error the exchange reports (an unknown symbol, say)


@dataclass(frozen=True, slots=True)
class Candle:
    """A past bar from an exchange's REST API (for the price history of the first day)."""

    symbol: str
    start: datetime
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    url: str
    params: dict[str, Any] = field(default_factory=dict)


def windows(start: datetime, end: datetime, width: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive windows of at most `width`: one REST request each."""
    while start < end:
        stop = min(end, start + width)
        yield start, stop
        start = stop


class BadMessage(Exception):
    """A message that cannot be used: counted and logged (once per kind), never passed on."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # e.g. malformed_json, unknown_type, missing_field, not_a_number, bad_price
        self.detail = detail


class Exchange(Protocol):
    name: str  # coinbase, binance, kraken: what `--feed live:NAME` says
    title: str  # Coinbase, Binance, Kraken
    websocket_url: str
    rest_url: str
    default_symbols: tuple[str, ...]
    subscribe_interval: float  # seconds between subscribe messages (the exchange's rate limit)
    client_ping: str | None  # a text the client sends every few seconds to keep the line open, if any

    def exchange_symbol(self, symbol: str) -> str:
        """The exchange's name for an arena symbol; ArenaError(UNKNOWN_SYMBOL) for one it cannot have."""
        ...

    def connect_url(self, base_url: str, symbols: Sequence[str]) -> str:
        """The URL to open (some exchanges name the streams in it)."""
        ...

    def subscriptions(self, symbols: Sequence[str]) -> list[str]:
        """The texts to send, in order, once the connection is open."""
        ...

    def decode(self, text: str) -> Decoded:
        """Read one message; raises BadMessage for anything malformed."""
        ...

    def history_requests(self, rest_url: str, symbol: str, start: datetime, end: datetime) -> list[HistoryRequest]:
        """The REST requests for 1-minute candles of `symbol` between `start` and `end`."""
        ...

    def parse_history(self, symbol: str, payload: Any) -> list[Candle]:
        """The candles in one response's JSON (raises BadMessage when it is not what was asked for)."""
        ...
