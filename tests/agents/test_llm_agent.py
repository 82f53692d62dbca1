"""The llm strategy's parameters and what it keeps of the market for its prompt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.agents.base import AccountView
from arena.agents.llm import DEFAULT_BASE_URL, LlmAgent
from arena.domain.account import Account
from arena.domain.market import Quote
from arena.errors import ArenaError, ErrorCode

T0 = datetime(2024, 1, 1, tzinfo=UTC)
VIEW = AccountView(Account.open(Decimal(1000)), {})


def test_defaults_need_only_a_model_and_read_the_endpoint_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("ARENA_LLM_BASE_URL", raising=False)
    agent = LlmAgent({"model": "llama3.2:3b"})
    assert agent.params["base_url"] == DEFAULT_BASE_URL and agent.params["api_key_env"] == "OPENAI_API_KEY"
    assert (agent.params["decide_every"], agent.params["timeout_s"], agent.params["temperature"]) == (0, 30.0, 0.0)
    monkeypatch.setenv("ARENA_LLM_BASE_URL", "http://gpu-box:8000/v1")
    assert LlmAgent({"model": "m"}).params["base_url"] == "http://gpu-box:8000/v1"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "model is required"),
        ({"model": ""}, "must be 1-500 characters"),
        ({"model": 7}, "must be a string"),
        ({"model": "m", "base_url": "ftp://x"}, "must be an http(s) URL"),
        ({"model": "m", "base_url": "http://[::1"}, "is not a usable URL"),
        ({"model": "m", "api_key_env": "DATABASE_URL"}, "ending in _KEY"),
        ({"model": "m", "api_key_env": "ARENA_OPERATOR_KEY"}, "not ARENA_*"),
        ({"model": "m", "timeout_s": 0}, "must satisfy"),
        ({"model": "m", "max_position_fraction": 1.5}, "must satisfy"),
        ({"model": "m", "api_key": "sk-x"}, "unknown parameter 'api_key'"),
    ],
)
def test_bad_params_are_refused_with_a_clear_message(params: dict, says: str) -> None:
    with pytest.raises(ArenaError) as err:
        LlmAgent(params)
    assert err.value.code is ErrorCode.INVALID_CONFIG and says in err.value.message


def test_a_key_pasted_as_the_variable_name_is_refused_without_being_repeated() -> None:
    key = "sk-proj-abc123-SECRET"
    with pytest.raises(ArenaError) as err:
        LlmAgent({"model": "m", "api_key_env": key})
    assert "NAME of an environment variable" in err.value.message and key not in err.value.message
    with pytest.raises(ArenaError):
        LlmAgent({"model": "m", "api_key_env": "gsk_abc123XYZ"})  # a key with no dashes, mixed case


def test_decides_every_minute_of_feed_time_by_default_or_every_n_rounds() -> None:
    by_time, by_rounds = LlmAgent({"model": "m"}), LlmAgent({"model": "m", "decide_every": 4})
    due_time, due_rounds = [], []
    for n in range(1, 13):
        at = T0 + timedelta(seconds=20 * n)
        quotes = {"BTC-USD": Quote("BTC-USD", Decimal(100 + n), at, change_pct=n / 10)}
        for agent, due in ((by_time, due_time), (by_rounds, due_rounds)):
            agent.on_round(quotes, VIEW)
            if agent.decision_due(n, at):
                agent.market_facts(n, at)
                due.append(n)
    assert due_time == [4, 7, 10] and due_rounds == [4, 8, 12]
    facts = by_rounds.market_facts(12, T0 + timedelta(seconds=240))
    (btc,) = facts["symbols"]
    assert btc["closes"][-1] == "112" and btc["change_pct"] == 1.2  # the feed's own figure
    assert btc["sma_10"] == pytest.approx(107.5) and btc["rsi_14"] is None  # 11 changes: not warm yet
