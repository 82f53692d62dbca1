"""Alerts through a real server: rules made over GraphQL, fired from the demo competition's
recorded events, streamed on the `alerts` subscription and delivered to a real local webhook
receiver — signed, retried while it is down, delivered once when it is back, and after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from arena.alerts.webhooks import verify
from tests.alerts.receiver import WebhookReceiver
from tests.fanout.clients import TRANSPORT_WS, RawClient
from tests.in_process import TOKEN, serving, until

OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
CREATE = """mutation($input: CreateAlertInput!) {
  createAlert(input: $input) { alert { id kind webhookTarget } secret userErrors { field code message } }
}"""
DELIVERIES = """query($id: ID!) { alertDeliveries(alertId: $id) { edges { node {
  id channel status attempts lastStatusCode lastError deliveredAt message } } } }"""
SERVER = {"tick_interval": 0.02, "alerts_allow_private": True, "alerts_retry_base": 0.05}


async def _graphql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    answer = (await http.post("/graphql", json={"query": query, "variables": variables}, headers=OPERATOR)).json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


async def _create(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    payload = (await _graphql(http, CREATE, input=fields))["createAlert"]
    assert payload["userErrors"] == [], payload
    return payload  # type: ignore[no-any-return]


async def _deliveries(http: httpx.AsyncClient, alert_id: str) -> list[dict[str, Any]]:
    data = await _graphql(http, DELIVERIES, id=alert_id)
    return [e["node"] for e in data["alertDeliveries"]["edges"]]


def _one_trade_rule(receiver: WebhookReceiver) -> dict[str, Any]:
    # a week's cooldown in feed time (a minute a round): exactly one alert in a test's time
    return {"kind": "AGENT_TRADE", "webhookUrl": receiver.url(), "cooldownSeconds": 7 * 24 * 3600}


async def test_a_fired_alert_is_streamed_and_delivered_signed_once(tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        async with (
            serving(tmp_path / "arena.db", demo=True, **SERVER) as (address, _state),
            httpx.AsyncClient(base_url=f"http://{address}") as http,
            RawClient(address, TRANSPORT_WS, token=TOKEN) as stream,
        ):
            await stream.subscribe("a", "subscription { alerts { id message payload alert { id kind } } }")
            created = await _create(http, **_one_trade_rule(receiver))
            alert_id, secret = created["alert"]["id"], created["secret"]
            assert secret.startswith("whsec_") and created["alert"]["webhookTarget"] == "http://127.0.0.1/…"
            (request,) = await receiver.await_count(1, timeout=15)
            await stream.wait_for(lambda: len(stream.frames["a"]) >= 1, what="the alert on the subscription")
            event = stream.data("a")[0]["data"]["alerts"]
            assert event["alert"] == {"id": alert_id, "kind": "AGENT_TRADE"}
            body = request.json()
            assert body["alertId"] == alert_id and body["message"] == event["message"]
            assert body["payload"] == event["payload"] and body["payload"]["agentId"]
            signature = request.header("X-Arena-Signature")
            assert signature is not None and verify(secret, request.body, signature)
            assert not verify("whsec_another", request.body, signature)
            delivered = await until(lambda: _delivered(http, alert_id), 10, "the delivery to be logged")
            assert delivered["id"] == request.header("X-Arena-Delivery") and delivered["attempts"] == 1
            listed = (await _graphql(http, "{ alerts { id } }"))["alerts"]
            assert listed == [{"id": alert_id}]
            assert (
                secret not in (await http.post("/graphql", json={"query": "{ alerts { id } }"}, headers=OPERATOR)).text
            )
            metrics = (await http.get("/metrics")).text
            assert 'arena_alerts_fired_total{kind="AGENT_TRADE"} 1.0' in metrics
            assert 'arena_alert_deliveries_total{channel="WEBHOOK",outcome="delivered"} 1.0' in metrics
        assert len(receiver.requests) == 1


async def _delivered(http: httpx.AsyncClient, alert_id: str) -> dict[str, Any] | None:
    found = await _deliveries(http, alert_id)
    return found[0] if found and found[0]["status"] == "DELIVERED" else None


async def test_retries_while_the_receiver_is_down_then_delivers_once(tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        receiver.down()
        async with (
            serving(tmp_path / "arena.db", demo=True, **SERVER) as (address, _state),
            httpx.AsyncClient(base_url=f"http://{address}") as http,
        ):
            alert_id = (await _create(http, **_one_trade_rule(receiver)))["alert"]["id"]

            async def retried() -> bool:
                found = await _deliveries(http, alert_id)
                return bool(found) and found[0]["attempts"] >= 3 and found[0]["status"] == "PENDING"

            await until(retried, 15, "three failed attempts")
            receiver.up()
            delivered = await until(lambda: _delivered(http, alert_id), 15, "the delivery once the receiver is up")
            assert delivered["attempts"] >= 4 and delivered["lastStatusCode"] == 200
        assert [r.header("X-Arena-Delivery") for r in receiver.requests] == [delivered["id"]]


async def test_a_pending_delivery_is_sent_after_a_restart_once(tmp_path: Path) -> None:
    db = tmp_path / "arena.db"
    with WebhookReceiver() as receiver:
        receiver.down()
        async with (
            serving(db, demo=True, **SERVER) as (address, _state),
            httpx.AsyncClient(base_url=f"http://{address}") as http,
        ):
            alert_id = (await _create(http, **_one_trade_rule(receiver)))["alert"]["id"]

            async def failed() -> bool:
                found = await _deliveries(http, alert_id)
                return bool(found) and found[0]["attempts"] >= 1 and found[0]["status"] == "PENDING"

            await until(failed, 15, "a failed attempt")
        receiver.up()  # the server is gone; its outbox row waits in the database
        async with (
            serving(db, **SERVER) as (address, _state),
            httpx.AsyncClient(base_url=f"http://{address}") as http,
        ):
            delivered = await until(lambda: _delivered(http, alert_id), 15, "the delivery after the restart")
        assert [r.header("X-Arena-Delivery") for r in receiver.requests] == [delivered["id"]]


async def test_bad_rules_are_refused_with_codes_and_nothing_is_stored(tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        async with (
            serving(tmp_path / "arena.db", tick_interval=0.05) as (address, _state),  # private targets refused
            httpx.AsyncClient(base_url=f"http://{address}") as http,
        ):
            cases = [
                ({"kind": "PRICE_ABOVE", "symbol": "NOPE-USD", "threshold": "1"}, "UNKNOWN_SYMBOL", "symbol"),
                ({"kind": "PRICE_ABOVE", "symbol": "BTC-USD"}, "INVALID_INPUT", "threshold"),
                ({"kind": "PRICE_ABOVE", "symbol": "BTC-USD", "threshold": "NaN"}, "INVALID_INPUT", "threshold"),
                ({"kind": "PRICE_BELOW", "symbol": "BTC-USD", "threshold": "-5"}, "INVALID_INPUT", "threshold"),
                (
                    {"kind": "PRICE_CHANGE_PCT", "symbol": "BTC-USD", "percent": -1, "windowSeconds": 60},
                    "INVALID_INPUT",
                    "percent",
                ),
                ({"kind": "AGENT_DRAWDOWN", "percent": 5, "agentId": "nobody"}, "NOT_FOUND", "agentId"),
                ({"kind": "AGENT_TRADE", "threshold": "5"}, "INVALID_INPUT", "threshold"),
                ({"kind": "AGENT_TRADE", "cooldownSeconds": -1}, "INVALID_INPUT", "cooldownSeconds"),
                ({"kind": "AGENT_TRADE", "webhookUrl": "ftp://example.com/x"}, "INVALID_URL", "webhookUrl"),
                ({"kind": "AGENT_TRADE", "webhookUrl": "not a url"}, "INVALID_URL", "webhookUrl"),
                ({"kind": "AGENT_TRADE", "webhookUrl": receiver.url()}, "PRIVATE_TARGET", "webhookUrl"),
                ({"kind": "AGENT_TRADE", "appriseUrls": ["nope://x"]}, "INVALID_URL", "appriseUrls"),
                (
                    {"kind": "AGENT_TRADE", "appriseUrls": [f"json://127.0.0.1:{receiver.port}/x"]},
                    "PRIVATE_TARGET",
                    "appriseUrls",
                ),
            ]
            for fields, code, field in cases:
                payload = (await _graphql(http, CREATE, input=fields))["createAlert"]
                assert payload["alert"] is None and payload["secret"] is None, fields
                assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], (fields, payload)
            assert (await _graphql(http, "{ alerts { id } }"))["alerts"] == []
            anonymous = (
                await http.post("/graphql", json={"query": CREATE, "variables": {"input": {"kind": "AGENT_TRADE"}}})
            ).json()
            assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert (await _graphql(http, "{ alerts { id } }"))["alerts"] == []
        assert receiver.requests == []


UPDATE = """mutation($id: ID!, $input: UpdateAlertInput!) {
  updateAlert(id: $id, input: $input) { alert { id webhookTarget } userErrors { field code message } }
}"""


async def test_a_changed_webhook_gives_up_what_was_pending_for_the_old_one(tmp_path: Path) -> None:
    with WebhookReceiver() as old, WebhookReceiver() as new:
        old.down()
        async with (
            serving(tmp_path / "arena.db", demo=True, **SERVER) as (address, _state),
            httpx.AsyncClient(base_url=f"http://{address}") as http,
        ):
            alert_id = (await _create(http, **_one_trade_rule(old)))["alert"]["id"]

            async def attempted() -> dict[str, Any] | None:
                found = await _deliveries(http, alert_id)
                return found[0] if found and found[0]["attempts"] >= 1 else None

            pending = await until(attempted, 15, "a failed attempt to the old target")
            assert pending["status"] == "PENDING"
            changed = (await _graphql(http, UPDATE, id=alert_id, input={"webhookUrl": new.url()}))["updateAlert"]
            assert changed["userErrors"] == [] and changed["alert"]["webhookTarget"] == "http://127.0.0.1/…"

            async def given_up() -> dict[str, Any] | None:
                found = {d["id"]: d for d in await _deliveries(http, alert_id)}
                return found[pending["id"]] if found[pending["id"]]["status"] == "FAILED" else None

            failed = await until(given_up, 10, "the old target's delivery to be given up")
            assert failed["lastError"] == "the rule's target changed" and failed["deliveredAt"] is None
            old.up()
            metrics = await until(
                lambda: _outbox_empty(http), 10, "the outbox to be empty once the old delivery is given up"
            )
            assert "arena_alert_outbox_pending 0.0" in metrics
            assert all(d["status"] != "PENDING" for d in await _deliveries(http, alert_id))
        assert old.requests == [] and new.requests == []  # the week's cooldown: nothing fired for the new one


async def _outbox_empty(http: httpx.AsyncClient) -> str | None:
    metrics = (await http.get("/metrics")).text
    return metrics if "arena_alert_outbox_pending 0.0" in metrics else None


FIRED = """query($id: ID, $first: Int, $after: String) { firedAlerts(alertId: $id, first: $first, after: $after) {
  edges { cursor node { id alertId kind message at payload } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


async def test_fired_alerts_are_listed_newest_first_page_by_page(tmp_path: Path) -> None:
    async with (
        serving(tmp_path / "arena.db", demo=True, **SERVER) as (address, _state),
        httpx.AsyncClient(base_url=f"http://{address}") as http,
    ):
        every_trade = (await _create(http, kind="AGENT_TRADE"))["alert"]["id"]
        finished = (await _create(http, kind="COMPETITION_FINISHED"))["alert"]["id"]

        async def fired(count: int) -> list[dict[str, Any]] | None:
            edges = (await _graphql(http, FIRED, first=50))["firedAlerts"]["edges"]
            return [e["node"] for e in edges] if len(edges) >= count else None

        await until(lambda: fired(5), 15, "five fired alerts")
        first = (await _graphql(http, FIRED, id=every_trade, first=2))["firedAlerts"]
        assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
        second = (await _graphql(http, FIRED, id=every_trade, first=2, after=first["pageInfo"]["endCursor"]))[
            "firedAlerts"
        ]
        assert second["pageInfo"]["hasPreviousPage"]
        nodes = [e["node"] for e in first["edges"] + second["edges"]]
        ids = [int(n["id"]) for n in nodes]
        assert len(nodes) == 4 and ids == sorted(ids, reverse=True) and len(set(ids)) == 4
        for node in nodes:
            assert node["alertId"] == every_trade and node["kind"] == "AGENT_TRADE"
            assert node["payload"]["agentId"] and node["message"]
        none_yet = (await _graphql(http, FIRED, id=finished))["firedAlerts"]
        assert none_yet["edges"] == [] and not none_yet["pageInfo"]["hasNextPage"]
        anonymous = (await http.post("/graphql", json={"query": FIRED, "variables": {}})).json()
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        bad = (
            await http.post("/graphql", json={"query": FIRED, "variables": {"after": "nope"}}, headers=OPERATOR)
        ).json()
        assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
