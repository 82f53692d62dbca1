"""Our own webhooks: signatures, bodies per service, and one delivery attempt against a real HTTP
server for each way it can go."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from arena.alerts.webhooks import (
    DeliveryOutcome,
    WebhookFormat,
    backoff_seconds,
    post_webhook,
    sign,
    verify,
    webhook_body,
)
from tests.alerts.receiver import WebhookReceiver

SECRET = "s3cret-signing-key"

ALERT = {
    "id": "42",
    "alertId": "alert-7",
    "kind": "PRICE_MOVE",
    "message": "BTC-USD moved +5.00% in 60s: 100 → 105",
    "at": "2025-01-02T03:04:05+00:00",
    "payload": {"symbol": "BTC-USD", "change": 5.0},
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


# --- signatures


def test_a_signature_verifies_with_its_secret_only() -> None:
    body = webhook_body(WebhookFormat.GENERIC, ALERT)
    signature = sign(SECRET, body)
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert verify(SECRET, body, signature)
    assert not verify("another-secret", body, signature)
    assert not verify(SECRET, body + b" ", signature)
    assert not verify(SECRET, body.replace(b"105", b"106"), signature)
    assert not verify(SECRET, body, None)
    assert not verify(SECRET, body, "")


def test_the_signature_is_hmac_sha256_hex() -> None:
    # a receiver in another language computes the same: RFC 4231 test case 2
    assert sign("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


# --- bodies


def test_the_generic_body_is_the_alert_as_compact_json() -> None:
    body = webhook_body(WebhookFormat.GENERIC, {**ALERT, "extra": "left out"})
    assert json.loads(body) == ALERT
    assert list(json.loads(body)) == ["id", "alertId", "kind", "message", "at", "payload"]
    assert body == json.dumps(ALERT, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (WebhookFormat.SLACK, {"text": ALERT["message"]}),
        (WebhookFormat.DISCORD, {"content": ALERT["message"]}),
        (WebhookFormat.TELEGRAM, {"text": ALERT["message"]}),
    ],
)
def test_a_chat_service_gets_the_message_only(fmt: WebhookFormat, expected: dict[str, str]) -> None:
    assert json.loads(webhook_body(fmt, ALERT)) == expected


def test_a_long_message_is_cut_to_discords_and_telegrams_limits() -> None:
    alert = {**ALERT, "message": "x" * 5000}
    content = json.loads(webhook_body(WebhookFormat.DISCORD, alert))["content"]
    assert len(content) == 2000 and content.endswith("…")
    text = json.loads(webhook_body(WebhookFormat.TELEGRAM, alert))["text"]
    assert len(text) == 4096
    assert json.loads(webhook_body(WebhookFormat.SLACK, alert))["text"] == "x" * 5000
    short = {**ALERT, "message": "y" * 2000}
    assert json.loads(webhook_body(WebhookFormat.DISCORD, short))["content"] == "y" * 2000


# --- delivery


async def test_a_delivery_is_signed_and_identified(receiver: WebhookReceiver, client: httpx.AsyncClient) -> None:
    body = webhook_body(WebhookFormat.GENERIC, ALERT)
    outcome = await post_webhook(client, receiver.url(), body=body, secret=SECRET, delivery_id="d-1")
    assert outcome == DeliveryOutcome(delivered=True, status_code=200, error=None, retryable=False)
    [request] = await receiver.await_count(1)
    assert (request.method, request.path, request.body) == ("POST", "/hook", body)
    assert request.header("Content-Type") == "application/json"
    assert request.header("User-Agent") == "trading-arena-alerts"
    assert request.header("X-Arena-Delivery") == "d-1"
    assert verify(SECRET, request.body, request.header("X-Arena-Signature"))
    assert not verify("another-secret", request.body, request.header("X-Arena-Signature"))


async def test_without_a_secret_there_is_no_signature(receiver: WebhookReceiver, client: httpx.AsyncClient) -> None:
    outcome = await post_webhook(client, receiver.url(), body=b"{}", secret=None, delivery_id="d-2")
    assert outcome.delivered
    [request] = await receiver.await_count(1)
    assert request.header("X-Arena-Signature") is None
    assert request.header("X-Arena-Delivery") == "d-2"


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (500, True),
        (502, True),
        (503, True),
        (408, True),
        (425, True),
        (429, True),
        (404, False),
        (400, False),
        (401, False),
        (410, False),
    ],
)
async def test_a_failure_status_is_retryable_or_not(
    receiver: WebhookReceiver, client: httpx.AsyncClient, status: int, retryable: bool
) -> None:
    receiver.status = status
    outcome = await post_webhook(client, receiver.url(), body=b"{}", secret=SECRET, delivery_id="d")
    assert outcome.delivered is False
    assert outcome.status_code == status
    assert outcome.retryable is retryable
    assert outcome.error == f"HTTP {status}"
    await receiver.await_count(1)


async def test_a_redirect_is_not_followed(receiver: WebhookReceiver, client: httpx.AsyncClient) -> None:
    receiver.status = 302  # Location: the receiver's own /redirected
    outcome = await post_webhook(client, receiver.url(), body=b"{}", secret=SECRET, delivery_id="d")
    assert (outcome.delivered, outcome.status_code, outcome.retryable) == (False, 302, False)
    assert outcome.error is not None and "redirects are not followed" in outcome.error
    requests = await receiver.await_count(1)
    assert [r.path for r in requests] == ["/hook"]


async def test_a_receiver_that_is_down_is_a_retryable_connection_error(
    receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    assert (await post_webhook(client, receiver.url(), body=b"{}", secret=SECRET, delivery_id="d")).delivered
    receiver.down()
    outcome = await post_webhook(client, receiver.url(), body=b"{}", secret=SECRET, delivery_id="d")
    assert (outcome.delivered, outcome.status_code, outcome.retryable) == (False, None, True)
    assert outcome.error is not None and outcome.error.startswith("ConnectError")
    assert SECRET not in outcome.error
    assert len(outcome.error) <= 300
    receiver.up()  # the same port: the next attempt gets through
    assert (await post_webhook(client, receiver.url(), body=b"{}", secret=SECRET, delivery_id="d")).delivered
    assert len(await receiver.await_count(2)) == 2


async def test_a_receiver_that_does_not_answer_in_time_is_retryable(client: httpx.AsyncClient) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        outcome = await post_webhook(client, url, body=b"{}", secret=SECRET, delivery_id="d", timeout=0.3)
    assert (outcome.delivered, outcome.status_code, outcome.retryable) == (False, None, True)
    assert outcome.error is not None and "no response within 0.3 s" in outcome.error


async def test_an_error_does_not_repeat_a_token_in_the_url(client: httpx.AsyncClient) -> None:
    url = "http://127.0.0.1:1/bot123456:SECRET-TOKEN/sendMessage"  # nothing listens on port 1
    outcome = await post_webhook(client, url, body=b"{}", secret=SECRET, delivery_id="d")
    assert outcome.retryable and outcome.error is not None
    assert "SECRET-TOKEN" not in outcome.error and SECRET not in outcome.error


async def test_an_unsupported_scheme_is_not_retried(client: httpx.AsyncClient) -> None:
    outcome = await post_webhook(client, "ftp://127.0.0.1/x", body=b"{}", secret=None, delivery_id="d")
    assert (outcome.delivered, outcome.retryable) == (False, False)


# --- backoff


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]
    assert backoff_seconds(9) == 256.0
    assert backoff_seconds(10) == 300.0
    assert backoff_seconds(10_000) == 300.0
    assert [backoff_seconds(n, base=0.5, cap=3.0) for n in range(1, 5)] == [0.5, 1.0, 2.0, 3.0]
    assert backoff_seconds(0) == backoff_seconds(1) == 1.0
