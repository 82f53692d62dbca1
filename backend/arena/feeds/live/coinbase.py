"""Coinbase Advanced Trade: the `ticker` channel (a message per match) and `heartbeats` (one a second,
which also keeps the subscriptions open: without it a quiet channel closes after 60-90 s)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from arena.feeds.live.protocol import BadMessage, Candle, Decoded, HistoryRequest, Tick, windows
from arena.feeds.live.symbols import decimal_of, field, iso_time, list_of, load_json, percent_of, price_of, split_symbol

QUOTES = frozenset({"USD", "USDC", "USDT", "EUR", "GBP", "BTC", "ETH"})
MAX_CANDLES = 350  # per request


class Coinbase:
    name = "coinbase"
    title = "Coinbase"
    websocket_url = "wss://advanced-trade-ws.coinbase.com"
    rest_url = "https://api.coinbase.com"
    default_symbols: tuple[str, ...] = ("BTC-USD", "ETH-USD", "SOL-USD")
    subscribe_interval = 0.25  # 8 messages a second per IP at most
    client_ping: str | None = None  # the heartbeats channel keeps the line busy

    def exchange_symbol(self, symbol: str) -> str:
        base, quote = split_symbol(symbol, self.title, QUOTES)
        return f"{base}-{quote}"

    def connect_url(self, base_url: str, symbols: Sequence[str]) -> str:
        return base_url

    def subscriptions(self, symbols: Sequence[str]) -> list[str]:
        # the server drops a connection that subscribes to nothing within 5 s: these go first
        products = [self.exchange_symbol(s) for s in symbols]
        return [
            json.dumps({"type": "subscribe", "product_ids": products, "channel": "ticker"}),
            json.dumps({"type": "subscribe", "channel": "heartbeats"}),
        ]

    def decode(self, text: str) -> Decoded:
        message = load_json(text)
        if not isinstance(message, dict):
            raise BadMessage("unknown_type", f"not an object: {text[:80]!r}")
        if message.get("type") == "error":
            return Decoded("error", error=str(message.get("message", text[:200])))
        channel = field(message, "channel")
        if channel == "heartbeats":
            return Decoded("heartbeat")
        if channel == "subscriptions":
            return Decoded("subscriptions")
        if channel != "ticker":
            raise BadMessage("unknown_type", f"channel {channel!r}")
        at = iso_time(field(message, "timestamp"))
        ticks = []
        for event in list_of(field(message, "events"), "events"):
            for ticker in list_of(field(event, "tickers"), "tickers"):
                ticks.append(
                    Tick(
                        symbol=str(field(ticker, "product_id")),
                        price=price_of(field(ticker, "price")),
                        change_pct=percent_of(ticker.get("price_percent_chg_24_h"), "price_percent_chg_24_h"),
                        exchange_time=at,
                    )
                )
        return Decoded("ticker", tuple(ticks))

    def history_requests(self, rest_url: str, symbol: str, start: datetime, end: datetime) -> list[HistoryRequest]:
        product = self.exchange_symbol(symbol)
        url = f"{rest_url.rstrip('/')}/api/v3/brokerage/market/products/{product}/candles"
        return [
            HistoryRequest(
                url, {"start": int(start.timestamp()), "end": int(stop.timestamp()), "granularity": "ONE_MINUTE"}
            )
            for start, stop in windows(start, end, timedelta(minutes=MAX_CANDLES))
        ]

    def parse_history(self, symbol: str, payload: Any) -> list[Candle]:
        candles = []
        for bar in list_of(field(payload, "candles"), "candles"):
            start = datetime.fromtimestamp(int(decimal_of(field(bar, "start"), "start")), UTC)
            candles.append(
                Candle(
                    symbol, start, price_of(field(bar, "close"), "close"), decimal_of(field(bar, "volume"), "volume")
                )
            )
        return candles
