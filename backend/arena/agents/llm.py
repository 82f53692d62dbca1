"""The `llm` strategy: a language model decides, from the prices and indicators this agent keeps.

Inside the engine it is a strategy like the others, pure and synchronous: every round it updates
each symbol's recent closes and indicators (the arena's own code) and, when a decision is due,
hands the engine the market facts for the prompt. It never orders by itself: the app asks the
model (`arena.llm`) and the engine executes the answer at the first round after it arrives.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from arena.agents.base import AccountView, Agent
from arena.agents.indicators import ExponentialMovingAverage, RelativeStrengthIndex, SimpleMovingAverage
from arena.agents.params import Param, fraction, require, text
from arena.domain.market import Quote
from arena.domain.orders import OrderIntent

DEFAULT_BASE_URL = "http://127.0.0.1:11434/v1"  # Ollama's OpenAI-compatible endpoint
BASE_URL_ENV = "ARENA_LLM_BASE_URL"
DECIDE_EVERY_FEED_SECONDS = 60  # decide_every 0: a decision every minute of feed time
API_KEY_ENV_PARAM = "api_key_env"


class _SymbolView:
    """One symbol's recent closes and indicators."""

    def __init__(self, history: int) -> None:
        self.closes: deque[Decimal] = deque(maxlen=history)
        self.change_pct = 0.0  # the feed's: over 24 h on a live feed, since the first price on a recorded one
        self.sma_fast = SimpleMovingAverage(10)
        self.sma_slow = SimpleMovingAverage(30)
        self.ema = ExponentialMovingAverage(12)
        self.rsi = RelativeStrengthIndex(14)

    def update(self, quote: Quote) -> None:
        price = quote.price
        self.closes.append(price)
        self.change_pct = quote.change_pct
        for indicator in (self.sma_fast, self.sma_slow, self.ema, self.rsi):
            indicator.update(float(price))

    def facts(self, symbol: str) -> dict[str, Any]:
        return {
            "symbol": symbol,
            "price": str(self.closes[-1]),
            "change_pct": round(self.change_pct, 4),
            "closes": [str(c) for c in self.closes],
            "sma_10": _read(self.sma_fast),
            "sma_30": _read(self.sma_slow),
            "ema_12": _read(self.ema),
            "rsi_14": _read(self.rsi),
        }


def _usable_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def _read(indicator: SimpleMovingAverage | ExponentialMovingAverage | RelativeStrengthIndex) -> float | None:
    return round(indicator.value, 6) if indicator.ready else None


class LlmAgent(Agent):
    asks_a_model: ClassVar[bool] = True
    strategy: ClassVar[str] = "llm"
    description: ClassVar[str] = (
        "A language model behind any OpenAI-compatible endpoint decides from recent prices, "
        "indicators and its account; every decision and its reasoning is recorded."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "base_url": text(DEFAULT_BASE_URL, r"https?://\S+", "an http(s) URL"),
        "model": text(None),
        API_KEY_ENV_PARAM: text(
            "OPENAI_API_KEY",
            # capitals, as variables are named (a pasted key is refused), ending in _KEY so that no other
            # secret of the server's environment (a database URL, a token) can be sent to an endpoint
            r"(?!ARENA_)[A-Z][A-Z0-9_]{0,59}_KEY",
            "the NAME of an environment variable ending in _KEY, in capitals, not ARENA_* (not the key itself)",
            echo=False,  # someone may paste the key itself here
        ),
        "decide_every": Param(int, 0, 0, 1_000_000),
        "timeout_s": Param(float, 30.0, 0.0, 600.0, low_exclusive=True),
        "temperature": Param(float, 0.0, 0.0, 2.0),
        "max_position_fraction": fraction(0.5),
        "history": Param(int, 20, 1, 500),
    }

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        defaults = super().default_params()
        defaults["base_url"] = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        return defaults

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> None:
        require(params["model"] is not None, cls.strategy, "model is required (e.g. llama3.2:3b, gpt-4o-mini)")
        require(
            _usable_url(params["base_url"]), cls.strategy, f"base_url {params['base_url'][:100]!r} is not a usable URL"
        )

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self._symbols: dict[str, _SymbolView] = {}
        self._first_at: datetime | None = None
        self._last_asked_round: int | None = None
        self._last_asked_at: datetime | None = None
        self.decisions_asked = 0

    def on_round(self, quotes: Mapping[str, Quote], account: AccountView) -> list[OrderIntent]:
        for symbol, quote in sorted(quotes.items()):
            if quote.price > 0:
                self._symbols.setdefault(symbol, _SymbolView(self.params["history"])).update(quote)
        return []

    def decision_due(self, round_: int, at: datetime) -> bool:
        """Whether a decision is due at this round (rounds counted, or a minute of feed time)."""
        if not self._symbols:
            return False
        self._first_at = self._first_at or at
        every = self.params["decide_every"]
        if every > 0:
            since = round_ if self._last_asked_round is None else round_ - self._last_asked_round
            return bool(since >= every)
        last = self._last_asked_at or self._first_at
        return (at - last).total_seconds() >= DECIDE_EVERY_FEED_SECONDS

    def market_facts(self, round_: int, at: datetime) -> dict[str, Any]:
        """Count a decision as asked for at this round and give the market part of its prompt."""
        self._last_asked_round, self._last_asked_at = round_, at
        self.decisions_asked += 1
        first = self._first_at or at
        return {
            "decision": self.decisions_asked,
            "round": round_,
            "at": at.isoformat(),
            "elapsed_s": round((at - first).total_seconds(), 3),
            "symbols": [view.facts(symbol) for symbol, view in sorted(self._symbols.items())],
        }
