"""The answer contract: what is read, what is refused, and what the refusal says."""

from __future__ import annotations

import json

import pytest

from arena.domain.decisions import Action, SymbolAction
from arena.llm.answer import InvalidAnswer, parse_answer

SYMBOLS = ("BTC-USD", "ETH-USD")


def line(symbol: str = "BTC-USD", action: str = "BUY", fraction: object = 0.2, **extra: object) -> dict:
    return {"symbol": symbol, "action": action, "fraction": fraction, "confidence": 0.7, "reasoning": "why", **extra}


def test_a_valid_answer_is_read_in_symbol_order_with_extra_keys_ignored() -> None:
    text = json.dumps({"decisions": [line("ETH-USD", "SELL", 1), line(note="extra")], "mood": "calm"})
    assert parse_answer(text, SYMBOLS) == (
        SymbolAction("BTC-USD", Action.BUY, 0.2, 0.7, "why"),
        SymbolAction("ETH-USD", Action.SELL, 1.0, 0.7, "why"),
    )


def test_missing_symbols_are_holds_and_an_empty_list_is_all_hold() -> None:
    assert parse_answer('{"decisions": []}', SYMBOLS) == ()
    held = parse_answer(json.dumps({"decisions": [{"symbol": "BTC-USD", "action": "hold"}]}), SYMBOLS)
    assert held == (SymbolAction("BTC-USD", Action.HOLD, 0.0, None, ""),)


def test_a_fenced_answer_is_read_and_a_zero_buy_is_a_hold() -> None:
    text = "```json\n" + json.dumps({"decisions": [line(fraction=0)]}) + "\n```"
    assert parse_answer(text, SYMBOLS)[0].action is Action.HOLD


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("I think you should buy", "not JSON"),
        ('{"decisions": [{"symbol": "BTC-USD", "action": "BUY", "fraction": NaN}]}', "not JSON"),
        ("[]", '"decisions" list'),
        ('{"decisions": {"BTC-USD": "BUY"}}', '"decisions" list'),
        (json.dumps({"decisions": ["BUY"]}), "not an object"),
        (json.dumps({"decisions": [line("DOGE-USD")]}), "'DOGE-USD' is not one of BTC-USD, ETH-USD"),
        (json.dumps({"decisions": [line(action="SHORT")]}), "'SHORT' is not BUY, SELL or HOLD"),
        (json.dumps({"decisions": [line(fraction=None)]}), "fraction is missing"),
        (json.dumps({"decisions": [line(fraction="half")]}), "'half' is not a number"),
        (json.dumps({"decisions": [line(fraction=1.5)]}), "1.5 is not between 0 and 1"),
        (json.dumps({"decisions": [line(fraction=True)]}), "True is not a number"),
        (json.dumps({"decisions": [line(confidence=-0.1)]}), "confidence -0.1 is not between 0 and 1"),
        (json.dumps({"decisions": [line(reasoning=["a"])]}), "reasoning is not a string"),
        (json.dumps({"decisions": [line(), line(action="SELL")]}), "BTC-USD is decided twice"),
    ],
)
def test_answers_that_break_the_contract_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidAnswer) as err:
        parse_answer(text, SYMBOLS)
    assert says in str(err.value)
