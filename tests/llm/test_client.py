"""The model client against a real local OpenAI-compatible server: valid answers, a repair, bad
answers, slow answers, HTTP errors, no server at all, and a server without structured output."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from arena.agents.llm import LlmAgent
from arena.domain.decisions import Action, DecisionRequest, DecisionStatus
from arena.llm.client import ModelClient
from arena.testing.server import free_port
from tests.openai_stand_in import OpenAIStandIn, Reply, answer, decision, slow, status, text, trickle

KEY = "sk-test-0123456789abcdef"
FACTS = {
    "decision": 3,
    "round": 12,
    "at": "2026-12-01T00:12:00+00:00",
    "elapsed_s": 660.0,
    "symbols": [
        {
            "symbol": "BTC-USD",
            "price": "64000.5",
            "change_pct": 1.25,
            "closes": ["63900", "64000.5"],
            "sma_10": 63950.0,
            "sma_30": None,
            "ema_12": 63960.0,
            "rsi_14": 61.5,
        }
    ],
    "rules": {"fee_bps": "10", "slippage_bps": "5", "max_position_fraction": 0.5, "symbols": ["BTC-USD"]},
    "account": {"cash": "9000", "equity": "10100", "starting_cash": "10000", "return_pct": 1.0, "positions": []},
}
REQUEST = DecisionRequest("c1", "c1-0", 12, datetime(2026, 12, 1, tzinfo=UTC), 3, FACTS)


@pytest.fixture
def model():
    stand_in = OpenAIStandIn().start()
    yield stand_in
    stand_in.stop()


def client(url: str, timeout: float = 5.0, **params: object) -> ModelClient:
    resolved = LlmAgent.resolve_params(
        {"model": "test-model", "base_url": url, "api_key_env": "TEST_MODEL_API_KEY", **params}
    )
    return ModelClient(resolved, timeout=timeout, clock=lambda: datetime.now(UTC), environ={"TEST_MODEL_API_KEY": KEY})


async def ask(c: ModelClient):
    try:
        return await c.ask(REQUEST)
    finally:
        await c.aclose()


async def test_a_valid_answer_with_structured_output_the_key_and_the_prompt(model: OpenAIStandIn) -> None:
    model.script(answer(decision("BTC-USD", "BUY", 0.25, 0.8, "RSI 61 and rising")))
    got = await ask(client(model.url, temperature=0.3))
    assert got.status is DecisionStatus.EXECUTED and got.error is None and got.attempts == 1
    assert [(a.symbol, a.action, a.fraction, a.confidence, a.reasoning) for a in got.actions] == [
        ("BTC-USD", Action.BUY, 0.25, 0.8, "RSI 61 and rising")
    ]
    assert (got.prompt_tokens, got.completion_tokens) == (120, 30)
    (sent,) = model.requests
    body = sent["body"]
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    assert body["model"] == "test-model" and body["temperature"] == 0.3
    assert body["response_format"]["type"] == "json_schema"
    system, user = body["messages"]
    assert "10 bps" in system["content"] and "NEXT round's price" in system["content"]
    assert "BTC-USD: last 64000.5, change +1.25%" in user["content"] and "RSI14 61.5" in user["content"]
    assert "Decision 3 at round 12" in user["content"] and "cash 9000, equity 10100" in user["content"]
    assert got.prompt.startswith("[system]\n") and user["content"] in got.prompt
    assert KEY not in got.prompt and KEY not in (got.response or "")
    assert got.response == json.dumps({"decisions": [decision("BTC-USD", "BUY", 0.25, 0.8, "RSI 61 and rising")]})


async def test_an_invalid_answer_gets_one_repair(model: OpenAIStandIn) -> None:
    model.script(text("Buy! Definitely buy."), answer(decision("BTC-USD", "HOLD", 0)))
    got = await ask(client(model.url))
    assert got.status is DecisionStatus.EXECUTED and got.attempts == 2
    assert [a.action for a in got.actions] == [Action.HOLD]
    repair = model.requests[1]["body"]["messages"]
    assert repair[2] == {"role": "assistant", "content": "Buy! Definitely buy."}
    assert "could not be used: not JSON" in repair[3]["content"]
    assert (got.prompt_tokens, got.completion_tokens) == (240, 60)  # both requests counted
    assert "Buy! Definitely buy." in (got.response or "")


@pytest.mark.parametrize(
    ("first", "second", "says"),
    [
        (text("nope"), text("still nope"), "invalid answer: not JSON"),
        (
            answer(decision("DOGE-USD", "BUY", 0.5)),
            answer(decision("BTC-USD", "BUY", 2)),
            "invalid answer: decisions[0].fraction 2 is not between 0 and 1",
        ),
    ],
)
async def test_two_invalid_answers_are_an_error_and_no_action(model, first, second, says) -> None:
    model.script(first, second)
    got = await ask(client(model.url))
    assert got.status is DecisionStatus.ERROR and got.actions == () and got.attempts == 2
    assert (got.error or "").startswith(says)


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (status(429, "rate limited, slow down"), "HTTP 429 from"),
        (status(500, "the model crashed"), "HTTP 500 from"),
    ],
)
async def test_http_errors_are_recorded_without_a_retry(model, reply, says) -> None:
    model.script(reply)
    got = await ask(client(model.url))
    assert got.status is DecisionStatus.ERROR and says in (got.error or "") and model.count == 1


async def test_a_slow_answer_past_the_timeout_is_an_error(model: OpenAIStandIn) -> None:
    model.script(slow(3, answer(decision("BTC-USD", "BUY", 0.1))))
    got = await ask(client(model.url, timeout=0.5))
    assert got.status is DecisionStatus.ERROR and got.error == "timed out after 0.5 s"
    assert 400 <= got.latency_ms < 2500


async def test_no_server_is_an_error_that_names_the_endpoint() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    got = await ask(client(url))
    assert got.status is DecisionStatus.ERROR and (got.error or "").startswith(f"cannot reach {url}")


async def test_a_server_without_structured_output_is_asked_for_plain_json(model: OpenAIStandIn) -> None:
    model.refuse_structured = True
    c = client(model.url)
    try:
        first = await c.ask(REQUEST)
        second = await c.ask(REQUEST)
    finally:
        await c.aclose()
    assert first.status is DecisionStatus.EXECUTED and second.status is DecisionStatus.EXECUTED
    formats = ["response_format" in r["body"] for r in model.requests]
    assert formats == [True, False, False]  # refused once, then never asked again


async def test_a_400_about_something_else_keeps_structured_output(model: OpenAIStandIn) -> None:
    model.script(status(400, "model 'stand-in' not found, try pulling it first"))
    c = client(model.url)
    try:
        first = await c.ask(REQUEST)
        second = await c.ask(REQUEST)
    finally:
        await c.aclose()
    assert first.status is DecisionStatus.ERROR and "HTTP 400" in (first.error or "") and "not found" in first.error
    assert second.status is DecisionStatus.EXECUTED
    assert ["response_format" in r["body"] for r in model.requests] == [True, True]


async def test_an_answer_that_trickles_in_past_the_timeout_is_a_timeout(model: OpenAIStandIn) -> None:
    model.script(trickle(0.3, answer(decision("BTC-USD", "BUY", 0.1))))  # every byte within any read timeout
    got = await ask(client(model.url, timeout=1.0))
    assert got.status is DecisionStatus.ERROR and got.error == "timed out after 1 s" and got.latency_ms < 2500


async def test_hostile_answers_are_invalid_answers_with_short_errors(model: OpenAIStandIn) -> None:
    huge_symbol = "X" * 1_000_000
    model.script(text("[" * 100_000), answer(decision(huge_symbol, "BUY", 0.1)))
    got = await ask(client(model.url))
    assert got.status is DecisionStatus.ERROR and got.attempts == 2
    assert got.error.startswith("invalid answer: decisions[0].symbol 'XXXX") and len(got.error) < 400
    repair = model.requests[1]["body"]["messages"][3]["content"]
    assert "not JSON" in repair and len(repair) < 1000
    assert len(got.response or "") < 50_000  # the raw answers are kept, cut short


async def test_token_counts_that_are_not_counts_are_not_counted(model: OpenAIStandIn) -> None:
    model.script(Reply(answer(decision("BTC-USD", "HOLD", 0)).content, usage=(-5, 7)))
    got = await ask(client(model.url))
    assert got.status is DecisionStatus.EXECUTED and (got.prompt_tokens, got.completion_tokens) == (0, 7)
