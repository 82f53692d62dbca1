"""Binance spot: the `<symbol>@ticker` streams (the 24 h rolling-window ticker, one event a second per
symbol), named in the URL of a combined stream, so nothing is sent once the connection is open
(Binance drops a connection that sends more than 5 messages a second). The server pings every 20 s
and the websockets library answers; connections are cut at 24 h and opened again at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from arena.errors import ArenaError, ErrorCode
from arena.feeds.live.protocol import BadMessage, Candle, Decoded, HistoryRequest, Tick, windows
from arena.feeds.live.symbols import decimal_of, epoch_ms, field, list_of, load_json, percent_of, price_of, split_symbol

QUOTES = frozenset({"USDT", "USDC", "FDUSD", "BTC", "ETH", "BNB", "EUR", "TRY"})
MAX_CANDLES = 1000  # per request
MAX_STREAMS = 1024  # per connection


class Binance:
    name = "binance"
    title = "Binance"
    websocket_url = "wss://stream.binance.com:9443"  # market data only: wss://data-stream.binance.vision
    rest_url = "https://api.binance.com"
    default_symbols: tuple[str, ...] = ("BTC-USDT", "ETH-USDT", "SOL-USDT")
    subscribe_interval = 0.2  # 5 messages a second at most, pongs included (but the URL names the streams)
    client_ping: str | None = None  # the server pings; the websockets library answers with pongs

    def exchange_symbol(self, symbol: str) -> str:
        try:
            base, quote = split_symbol(symbol, self.title, QUOTES)
        except ArenaError as err:
            if symbol.endswith("-USD"):  # the usual mistake: Binance spot quotes dollars in stablecoins
                raise ArenaError(err.code, f"{err.message} (for US dollars: {symbol}T)", err.field) from None
            raise
        return f"{base}{quote}"

    def connect_url(self, base_url: str, symbols: Sequence[str]) -> str:
        if len(symbols) > MAX_STREAMS:
            raise ArenaError(
                ErrorCode.INVALID_CONFIG, f"{self.title} streams at most {MAX_STREAMS} symbols a connection", "feed"
            )
        streams = "/".join(f"{self.exchange_symbol(s).lower()}@ticker" for s in symbols)
        return f"{_root(base_url)}/stream?streams={streams}"

    def subscriptions(self, symbols: Sequence[str]) -> list[str]:
        return []  # the URL names the streams

    def decode(self, text: str) -> Decoded:
        message = load_json(text)
        if not isinstance(message, dict):
            raise BadMessage("unknown_type", f"not an object: {text[:80]!r}")
        if "stream" not in message or "data" not in message:
            if "code" in message and "msg" in message:  # {"code": 2, "msg": "Invalid request: ...", "id": 1}
                return Decoded("error", error=f"{message['msg']} (code {message['code']})")
            if "result" in message and "id" in message:  # {"result": null, "id": 1}: a request answered
                return Decoded("ack")
            raise BadMessage("unknown_type", f"not a stream event: {text[:80]!r}")
        data = message["data"]
        if not isinstance(data, dict):
            raise BadMessage("unknown_type", f"stream {str(message['stream'])[:40]!r} sent {str(data)[:80]}")
        event = field(data, "e")
        if event == "serverShutdown":  # the server closes soon; the connection will be opened again
            return Decoded("shutdown")
        if event != "24hrTicker":
            raise BadMessage("unknown_type", f"event {str(event)[:40]!r}")
        tick = Tick(
            symbol=str(field(data, "s")),
            price=price_of(field(data, "c"), "c"),
            change_pct=percent_of(data.get("P"), "P"),
            exchange_time=epoch_ms(field(data, "E"), "E"),
        )
        return Decoded("ticker", (tick,))

    def history_requests(self, rest_url: str, symbol: str, start: datetime, end: datetime) -> list[HistoryRequest]:
        pair = self.exchange_symbol(symbol)
        url = f"{rest_url.rstrip('/')}/api/v3/klines"
        return [
            HistoryRequest(
                url,
                {
                    "symbol": pair,
                    "interval": "1m",
                    "startTime": _ms(start),
                    "endTime": _ms(stop) - 1,  # both ends are inclusive: the bar opening at `stop` is the next one's
                    "limit": MAX_CANDLES,
                },
            )
            for start, stop in windows(start, end, timedelta(minutes=MAX_CANDLES))
        ]

    def parse_history(self, symbol: str, payload: Any) -> list[Candle]:
        candles = []
        for bar in list_of(payload, "klines"):
            # [open time, open, high, low, close, volume, close time, quote volume, trades, ...]
            if not isinstance(bar, list) or len(bar) < 6:
                raise BadMessage(
                    "missing_field", f"not a kline [open time, open, high, low, close, volume, ...]: {bar}"
                )
            candles.append(
                Candle(symbol, epoch_ms(bar[0], "open time"), price_of(bar[4], "close"), decimal_of(bar[5], "volume"))
            )
        return candles


def _root(base_url: str) -> str:
    """The endpoint without a stream path someone may have given with it (…/ws, …/stream)."""
    root = base_url.rstrip("/")
    for suffix in ("/stream", "/ws"):
        if root.endswith(suffix):
            return root[: -len(suffix)]
    return root


def _ms(at: datetime) -> int:
    return round(at.timestamp() * 1000)
