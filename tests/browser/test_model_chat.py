"""Model agents in the browser: added in the start form, and their decisions in the Model chat
panel — reasoning, actions, fills, errors, the prompt on demand — checked against what the API
recorded. The model is a real local OpenAI-compatible server (tests/openai_stand_in.py); every
wait is for a DOM state or a request the stand-in saw, never a fixed sleep."""

from __future__ import annotations

import re

import pytest

from tests.browser.pages import expect
from tests.browser.test_agent_view import fmt_price, fmt_quantity
from tests.e2e.helpers import STOP, ArenaServer, start
from tests.openai_stand_in import OpenAIStandIn, answer, decision, slow, status, text

MODEL = "stand-in-1"
KEY_ENV = "BROWSER_MODEL_API_KEY"
KEY = "sk-browser-model-key-7d1e0a"
TEN = 10  # decisions the panel shows per agent (model-chat.js)

DECISIONS = """
query($agentId: ID, $first: Int) {
  decisions(agentId: $agentId, first: $first) {
    totalCount
    edges { node {
      id seq status reasoning error model latencyMs promptTokens completionTokens attempts response
      actions { symbol action fraction confidence }
      orders { symbol side filled filledQuantity price rejectionReason }
    } }
  }
}"""
AGENTS = "{ agents { name strategy params } }"
STRATEGIES = "{ arena { strategies { name defaultParams } } }"
XSS_REASONING = "<b>x</b> <img src=x onerror=window.__injected=1> & done"


@pytest.fixture
def server(tmp_path):
    """conftest's server, with a model key in its environment (the form names the variable, never the key)."""
    proc = ArenaServer(db=tmp_path / "arena.db", args=("--tick-interval", "0.1"), env={KEY_ENV: KEY}).start()
    yield proc
    code = proc.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{proc.log()}"


@pytest.fixture
def model():
    stand_in = OpenAIStandIn().start()
    yield stand_in
    stand_in.stop()


def recorded(server, agent_id: str, first: int = 50) -> tuple[list[dict], int]:
    """An agent's decisions as the API has them, newest first, and how many there are."""
    page = server.graphql(DECISIONS, {"agentId": agent_id, "first": first})["data"]["decisions"]
    return [e["node"] for e in page["edges"]], page["totalCount"]


def llm_agent(model: OpenAIStandIn, decide_every: int) -> dict:
    params = {"model": MODEL, "base_url": model.url, "decide_every": decide_every}
    return {"name": "Oracle", "strategy": "llm", "params": params}


def shown_ids(dashboard, agent_name: str) -> list[str]:
    return dashboard.decisions(agent_name).evaluate_all("items => items.map(i => i.dataset.id)")


def latency_text(ms: int) -> str:
    return f"{ms:,} ms" if ms < 1000 else f"{ms / 1000:,.1f} s"


def test_a_model_agent_from_the_form_trades_and_its_reasoning_shows_in_model_chat(dashboard, model):
    server = dashboard.server
    page = dashboard.open_with_token().page
    expect(page.locator("#model-chat")).to_contain_text("No competition yet")

    row = dashboard.add_model_agent(MODEL, name="Oracle", endpoint=model.url, decide_every="5", key_variable=KEY_ENV)
    expect(row).to_have_accessible_name("Model agent 1")
    dashboard.start("Model Cup", feed="Simulated", seed="7", speed="0.2s")
    expect(dashboard.state).to_have_text("RUNNING")
    expect(dashboard.leaderboard_rows()).to_have_count(6)  # the five built-in strategies go along

    # the form sent the agent as typed, and the name of the key's variable: the key came from the server's environment
    oracle = next(a for a in server.graphql(AGENTS)["data"]["agents"] if a["name"] == "Oracle")
    assert oracle["strategy"] == "llm"
    assert {k: oracle["params"][k] for k in ("model", "base_url", "decide_every", "api_key_env")} == {
        "model": MODEL,
        "base_url": model.url,
        "decide_every": 5,
        "api_key_env": KEY_ENV,
    }
    first_request = model.wait_for_requests(1)[0]
    assert first_request["body"]["model"] == MODEL
    assert first_request["headers"]["authorization"] == f"Bearer {KEY}"

    column = dashboard.model_chat("Oracle")
    decisions = dashboard.decisions("Oracle")
    bought = decisions.filter(has_text="request 1: trend looks up")
    expect(bought).to_have_attribute("data-status", "EXECUTED")
    expect(bought.locator(".decision-status")).to_have_text("EXECUTED")
    expect(bought.locator(".decision-reasoning")).to_have_text("request 1: trend looks up")
    expect(bought.locator(".decision-actions li[data-action='BUY'] .decision-action")).to_have_text(
        "BUY BTC-USD 20% · conf 0.70"
    )
    expect(bought.locator(".decision-model")).to_have_text(MODEL)
    expect(column.locator(".model-name")).to_have_text(MODEL)

    # the fill as the API recorded it, and the same trade in the trade feed
    agent_id = column.get_attribute("data-agent")
    first = next(d for d in recorded(server, agent_id)[0] if d["reasoning"] == "request 1: trend looks up")
    [order] = first["orders"]
    assert order["filled"] and order["side"] == "BUY"
    fill = f"filled {fmt_quantity(order['filledQuantity'])} @ {fmt_price(order['price'])}"
    expect(bought.locator(".decision-outcome")).to_have_text(fill)
    expect(bought.locator(".decision-outcome")).to_have_attribute("data-outcome", "filled")
    expect(bought.locator(".decision-cost")).to_have_text(f"{latency_text(first['latencyMs'])} · 120 + 30 tokens")
    expect(page.locator(f"#trade-feed li[data-agent='{agent_id}'][data-side='buy']").first).to_be_visible()

    # newest on top: the sell that follows goes above the buy (more may have come above both by now)
    sold = decisions.filter(has_text="request 2: take profit")
    expect(sold.locator(".decision-action")).to_have_text("SELL BTC-USD 100% · conf 0.70")
    seqs = decisions.evaluate_all("items => items.map(li => Number(li.dataset.seq))")
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs), seqs

    # the prompt and the raw answer: only on demand
    raw = bought.locator("details.decision-raw")
    expect(raw).not_to_have_attribute("open", "")
    expect(raw.locator("pre")).to_have_count(0)
    raw.locator("summary").click()
    expect(raw.locator("pre.decision-prompt")).to_contain_text("Symbols you may trade: BTC-USD, ETH-USD, SOL-USD.")
    expect(raw.locator("pre.decision-response")).to_have_text(first["response"])
    # a newer decision arriving does not close what the operator opened
    newest = decisions.first.get_attribute("data-id")
    expect(decisions.first).not_to_have_attribute("data-id", newest)
    expect(raw).to_have_attribute("open", "")

    dashboard.command("Stop")
    expect(dashboard.state).to_have_text("STOPPED")
    assert dashboard.real_console_errors() == []


def test_bad_and_late_answers_show_as_such_and_the_models_text_stays_text(dashboard, model):
    model.script(
        text("not json"),  # the first decision: invalid, and its repair too
        text("not json"),
        status(500),  # the second: the endpoint fails
        answer(decision("BTC-USD", "BUY", 0.2, reasoning=XSS_REASONING)),
        # due again after 0.4 s, timed out after 2 s (the desk's floor): it comes in between
        slow(1.0, answer(decision("BTC-USD", "SELL", 1.0, reasoning="too slow"))),
    )
    server = dashboard.server
    page = dashboard.open_with_token().page
    dashboard.only_model_agents()
    dashboard.add_model_agent(MODEL, name="Oracle", endpoint=model.url, decide_every="2")
    dashboard.start("Bad answers", feed="Simulated", seed="7", speed="0.2s")
    expect(dashboard.state).to_have_text("RUNNING")
    expect(dashboard.leaderboard_rows()).to_have_count(1)

    decisions = dashboard.decisions("Oracle")
    literal = decisions.filter(has=page.locator(".decision-reasoning", has_text="<b>x</b>"))
    expect(literal).to_have_count(1)
    agent_id = dashboard.model_chat("Oracle").get_attribute("data-agent")
    history = sorted(recorded(server, agent_id)[0], key=lambda d: d["seq"])
    invalid, failed, executed = history[:3]
    assert (invalid["status"], failed["status"], executed["status"]) == ("ERROR", "ERROR", "EXECUTED")

    # the invalid answer: ERROR with its error text, two attempts, both answers in the raw view
    shown = page.locator(f"#model-chat li.decision[data-id='{invalid['id']}']")
    expect(shown).to_have_attribute("data-status", "ERROR")
    expect(shown.locator(".decision-status")).to_have_text("ERROR")
    assert invalid["error"].startswith("invalid answer")
    expect(shown.locator(".decision-error")).to_have_text(invalid["error"])
    expect(shown.locator(".decision-cost")).to_contain_text("2 attempts")
    expect(shown.locator(".decision-actions")).to_have_count(0)
    shown.locator("details.decision-raw summary").click()
    expect(shown.locator("pre.decision-response")).to_have_text(re.compile(r"^not json\n\nnot json$"))
    expect(shown.locator("pre.decision-prompt")).to_contain_text("That answer could not be used")

    # the endpoint's failure: ERROR with the HTTP status
    shown = page.locator(f"#model-chat li.decision[data-id='{failed['id']}']")
    assert failed["error"].startswith(f"HTTP 500 from {model.url}")
    expect(shown.locator(".decision-error")).to_have_text(failed["error"])

    # what the model wrote is text: no element made of it, no script run
    expect(literal.locator(".decision-reasoning")).to_have_text(XSS_REASONING)
    expect(page.locator("#model-chat b, #model-chat img")).to_have_count(0)
    assert page.evaluate("window.__injected") is None

    # the slow answer: LATE, not executed, its reasoning shown all the same
    late = decisions.filter(has_text="too slow")
    expect(late).to_have_attribute("data-status", "LATE")
    expect(late.locator(".decision-note")).to_have_text("Answered after a newer decision was asked for: not executed")
    expect(late.locator(".decision-action")).to_have_text("SELL BTC-USD 100% · conf 0.70")
    expect(late.locator(".decision-outcome")).to_have_count(0)
    [late_recorded] = [d for d in recorded(server, agent_id)[0] if d["reasoning"] == "too slow"]
    assert late_recorded["status"] == "LATE" and late_recorded["orders"] == []

    # and the three statuses look different
    def looks(decision_id: str) -> str:
        badge = page.locator(f"#model-chat li.decision[data-id='{decision_id}'] .decision-status")
        return badge.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color].join()")

    assert len({looks(executed["id"]), looks(invalid["id"]), looks(late_recorded["id"])}) == 3

    server.operator(STOP)
    expect(dashboard.state).to_have_text("STOPPED")
    assert dashboard.real_console_errors() == []


def test_after_a_reload_each_decision_shows_once(dashboard, model):
    server = dashboard.server
    start(server, name="Reload", feed="SIMULATED", seed=7, speed="0.2s", agents=[llm_agent(model, decide_every=1)])
    page = dashboard.open().page
    decisions = dashboard.decisions("Oracle")
    expect(decisions.nth(2)).to_be_visible()

    # a reload while decisions keep coming: the query and the stream overlap
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(decisions.nth(2)).to_be_visible()
    agent_id = dashboard.model_chat("Oracle").get_attribute("data-agent")
    model.wait_for_requests(TEN + 3)  # more than the panel shows
    server.operator(STOP)
    expect(dashboard.state).to_have_text("STOPPED")

    latest, total = recorded(server, agent_id, first=TEN)
    assert total > TEN
    expect(dashboard.model_chat("Oracle").locator(".model-agent-head .hint")).to_have_text(f"{total:,} decisions")
    expect(decisions).to_have_count(TEN)
    assert shown_ids(dashboard, "Oracle") == [d["id"] for d in latest]

    # and once more, with nothing in flight: the same ten, once each
    page.reload()
    expect(decisions).to_have_count(TEN)
    assert shown_ids(dashboard, "Oracle") == [d["id"] for d in latest]
    expect(dashboard.model_chat("Oracle").locator(".model-agent-head .hint")).to_have_text(f"{total:,} decisions")
    assert dashboard.real_console_errors() == []


def test_decisions_made_while_the_browser_was_offline_are_read_again_once(dashboard, model):
    server = dashboard.server
    start(server, name="Gap", feed="SIMULATED", seed=7, speed="0.2s", agents=[llm_agent(model, decide_every=2)])
    page = dashboard.open().page
    decisions = dashboard.decisions("Oracle")
    expect(decisions.nth(1)).to_be_visible()
    agent_id = dashboard.model_chat("Oracle").get_attribute("data-agent")

    page.context.set_offline(True)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    seen = len(shown_ids(dashboard, "Oracle"))
    model.wait_for_requests(model.count + 3)  # decided while the page could not hear of it
    server.operator(STOP)
    latest, total = recorded(server, agent_id)
    assert seen + 2 <= total < TEN

    page.context.set_offline(False)
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(dashboard.state).to_have_text("STOPPED")
    expect(decisions).to_have_count(total)
    assert shown_ids(dashboard, "Oracle") == [d["id"] for d in latest]
    expect(dashboard.model_chat("Oracle").locator(".model-agent-head .hint")).to_have_text(f"{total} decisions")
    assert dashboard.real_console_errors() == []


def test_model_agent_errors_show_next_to_the_form_and_a_key_is_never_sent(dashboard):
    page = dashboard.open_with_token().page
    starts: list[str] = []
    page.on("request", lambda r: starts.append(r.post_data) if "startCompetition" in (r.post_data or "") else None)
    [llm] = [s for s in dashboard.server.graphql(STRATEGIES)["data"]["arena"]["strategies"] if s["name"] == "llm"]

    # the built-in strategies are ticked; the model strategy is no checkbox, it has its own rows
    boxes = page.locator("form.start-form input[name='agent']")
    expect(boxes).to_have_count(5)
    expect(page.locator("form.start-form input[name='agent'][value='llm']")).to_have_count(0)
    row = dashboard.add_model_agent("")
    expect(row.get_by_label("Model", exact=True)).to_be_focused()
    expect(row.get_by_label("Endpoint", exact=True)).to_have_attribute("placeholder", llm["defaultParams"]["base_url"])
    expect(row.get_by_label("API key variable", exact=True)).to_have_attribute("placeholder", "OPENAI_API_KEY")
    expect(page.locator("form.start-form input[type='password']")).to_have_count(0)

    # the form's own checks: a model is needed
    dashboard.start("No model")
    expect(row.get_by_label("Model", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#start-errors")).to_contain_text("model agent 1: name the model it runs")

    # a key where its variable's name goes is refused before anything is sent
    row.get_by_label("Model", exact=True).fill(MODEL)
    row.get_by_label("API key variable", exact=True).fill(KEY)
    page.get_by_role("button", name="Start competition").click()
    expect(row.get_by_label("API key variable", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#start-errors")).to_contain_text("not the key itself")
    expect(row.get_by_label("Model", exact=True)).not_to_have_attribute("aria-invalid", "true")
    assert starts == []

    # the server's checks show as the form shows them: an endpoint that is no http(s) URL
    row.get_by_label("API key variable", exact=True).fill("")
    row.get_by_label("Endpoint", exact=True).fill("ftp://models.example")
    page.get_by_role("button", name="Start competition").click()
    expect(page.locator("#start-errors")).to_contain_text("must be an http(s) URL")
    expect(page.locator("#start-modelAgents-error")).to_contain_text("'base_url'")
    expect(page.locator("fieldset[data-field='modelAgents']")).to_have_attribute("aria-invalid", "true")
    assert len(starts) == 1 and KEY not in starts[0]
    expect(dashboard.state).to_have_text("IDLE")

    # without it, the built-in agents start, and the panel says there is no model agent
    page.get_by_role("button", name="Remove model agent 1").click()
    expect(page.locator(".model-agent-row")).to_have_count(0)
    dashboard.start("Built-ins only")
    expect(dashboard.state).to_have_text("RUNNING")
    expect(dashboard.leaderboard_rows()).to_have_count(5)
    expect(page.locator("#model-chat")).to_have_text("No model agents in this competition.")
    expect(page.locator("#start-errors")).to_have_text("")
    assert KEY not in " ".join(starts)
    assert dashboard.console_errors == []
