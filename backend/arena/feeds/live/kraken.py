"""Kraken spot websocket v2: the `ticker` channel (a message per trade, prices as JSON numbers),
the `heartbeat` channel (about once a second when nothing else is sent, automatic once subscribed),
a `status` message on connect, and the client's application-level `ping`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from arena.feeds.live.protocol import BadMessage, Candle, Decoded, HistoryRequest, Tick
from arena.feeds.live.symbols import decimal_of, field, iso_time, list_of, load_json, percent_of, price_of, split_symbol

QUOTES = frozenset({"USD", "EUR", "GBP", "USDT", "USDC", "CAD", "JPY", "AUD", "CHF", "BTC", "ETH"})
REST_ASSETS = {"BTC": "XBT", "DOGE": "XDG"}  # the REST API still names these the old way (websocket v2: BTC, DOGE)


class Kraken:
    name = "kraken"
    title = "Kraken"
    websocket_url = "wss://ws.kraken.com/v2"
    rest_url = "https://api.kraken.com"
    default_symbols: tuple[str, ...] = ("BTC-USD", "ETH-USD", "SOL-USD")
    subscribe_interval = 0.25  # one subscribe message names every symbol: this only spaces any later ones
    client_ping: str | None = json.dumps({"method": "ping"})  # answered by {"method": "pong", ...}

    def exchange_symbol(self, symbol: str) -> str:
        base, quote = split_symbol(symbol, self.title, QUOTES)
        return f"{base}/{quote}"

    def connect_url(self, base_url: str, symbols: Sequence[str]) -> str:
        return base_url

    def subscriptions(self, symbols: Sequence[str]) -> list[str]:
        # acknowledged once per symbol; a snapshot of each follows (snapshot defaults to true)
        pairs = [self.exchange_symbol(s) for s in symbols]
        return [json.dumps({"method": "subscribe", "params": {"channel": "ticker", "symbol": pairs}, "req_id": 1})]

    def decode(self, text: str) -> Decoded:
        message = load_json(text)
        if not isinstance(message, dict):
            raise BadMessage("unknown_type", f"not an object: {text[:80]!r}")
        if "method" in message:
            return _response(message, text)
        channel = field(message, "channel")
        if channel == "heartbeat":
            return Decoded("heartbeat")
        if channel == "status":
            return _status(message)
        if channel != "ticker":
            raise BadMessage("unknown_type", f"channel {channel!r}")
        ticks = []
        for ticker in list_of(field(message, "data"), "data"):
            at = ticker.get("timestamp") if isinstance(ticker, dict) else None  # newer servers say when
            ticks.append(
                Tick(
                    symbol=str(field(ticker, "symbol")),
                    price=price_of(field(ticker, "last"), "last"),
                    change_pct=percent_of(ticker.get("change_pct"), "change_pct"),  # in percentage points
                    exchange_time=None if at is None else iso_time(at),
                )
            )
        return Decoded("ticker", tuple(ticks))

    def history_requests(self, rest_url: str, symbol: str, start: datetime, end: datetime) -> list[HistoryRequest]:
        # Kraken returns at most the 720 most recent 1-minute bars (12 h) however far back `since`
        # is, and older ones cannot be had at all: the first day is only the last 12 h of it.
        base, quote = split_symbol(symbol, self.title, QUOTES)
        pair = REST_ASSETS.get(base, base) + REST_ASSETS.get(quote, quote)
        url = f"{rest_url.rstrip('/')}/0/public/OHLC"
        return [HistoryRequest(url, {"pair": pair, "interval": 1, "since": int(start.timestamp())})]

    def parse_history(self, symbol: str, payload: Any) -> list[Candle]:
        errors = field(payload, "error")
        if errors:
            raise BadMessage("error", f"Kraken says: {', '.join(map(str, list_of(errors, 'error')))}")
        result = field(payload, "result")
        # the result is keyed by a name of the pair that may not be the one asked for (XBTUSD -> XXBTZUSD)
        lists = [v for k, v in result.items() if k != "last"] if isinstance(result, dict) else []
        if len(lists) != 1:
            raise BadMessage("missing_field", f"not one list of bars in {str(result)[:120]}")
        # the last bar is the current minute, not yet committed (the docs: it is always there): its close is not final
        bars = list_of(lists[0], "result")[:-1]
        candles = []
        for bar in bars:
            if not isinstance(bar, list) or len(bar) < 7:
                raise BadMessage(
                    "missing_field", f"not a bar [time, open, high, low, close, vwap, volume, ...]: {bar!r}"
                )
            start = datetime.fromtimestamp(int(decimal_of(bar[0], "time")), UTC)
            candles.append(Candle(symbol, start, price_of(bar[4], "close"), decimal_of(bar[6], "volume")))
        return candles


def _response(message: dict[str, Any], text: str) -> Decoded:
    """The answer to a request of ours: a subscribe acknowledgement (one per symbol) or a pong."""
    method = message["method"]
    if message.get("success") is False:  # an unknown pair, say: {"error": "Currency pair not supported ..."}
        return Decoded("error", error=str(message.get("error") or f"{method} failed: {text[:200]}"))
    if method == "subscribe":
        return Decoded("subscribe")
    if method == "pong":
        return Decoded("pong")
    raise BadMessage("unknown_type", f"method {method!r}")


def _status(message: dict[str, Any]) -> Decoded:
    """Sent on connect and when the trading engine's state changes; anything but online is said."""
    data = message.get("data")
    status = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    system = status.get("system", "online")
    return Decoded("status", error=None if system == "online" else f"the trading engine is {system}")
