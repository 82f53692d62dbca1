"""The Apprise channel: which URLs it takes, where the generic ones post to, and a real delivery
through Apprise's json:// service to a local receiver."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from arena.alerts.apprise_channel import apprise_target_url, check_apprise_urls, notify_apprise
from arena.alerts.targets import TargetRefused
from tests.alerts.receiver import WebhookReceiver

SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
TELEGRAM = "tgram://123456789:abcdefg_hijklmnop/12345"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r


def json_url(receiver: WebhookReceiver, path: str = "/apprise") -> str:
    return f"json://127.0.0.1:{receiver.port}{path}"


# --- which URLs


def test_known_services_are_accepted_and_stripped(receiver: WebhookReceiver) -> None:
    urls = [SLACK, f" {TELEGRAM} ", json_url(receiver), "mailto://user:password@example.com"]
    assert check_apprise_urls(urls) == [SLACK, TELEGRAM, json_url(receiver), "mailto://user:password@example.com"]
    assert check_apprise_urls([]) == []


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("nope://x", "nope://"),
        ("slack://not-enough-tokens", "slack://"),
        ("discord://", "discord://"),
        ("json://", "json://"),
        ("just some text", "a URL without a scheme"),
        ("", "a URL without a scheme"),
        ("https://10.0.0.1/hook", "https://"),  # not a service's native URL either
    ],
)
def test_a_url_apprise_cannot_use_is_refused_by_scheme(url: str, scheme: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        check_apprise_urls([SLACK, url])
    assert refused.value.code == "INVALID_URL"
    assert scheme in refused.value.message
    assert "#2" in refused.value.message


def test_a_refusal_does_not_repeat_the_tokens() -> None:
    with pytest.raises(TargetRefused) as refused:
        check_apprise_urls(["nope://SECRET-TOKEN@host/OTHER-SECRET"])
    assert "SECRET" not in str(refused.value)


def test_a_url_with_whitespace_inside_is_refused() -> None:
    # Apprise would split it into two URLs
    with pytest.raises(TargetRefused):
        check_apprise_urls([f"{SLACK} {TELEGRAM}"])


def test_at_most_ten_urls(receiver: WebhookReceiver) -> None:
    assert len(check_apprise_urls([json_url(receiver, f"/{n}") for n in range(10)])) == 10
    with pytest.raises(TargetRefused) as refused:
        check_apprise_urls([json_url(receiver, f"/{n}") for n in range(11)])
    assert refused.value.code == "INVALID_URL"


# --- where generic URLs post to


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("json://127.0.0.1:8080/path", "http://127.0.0.1:8080/path"),
        ("jsons://hooks.example.com/a/b?x=1", "https://hooks.example.com/a/b"),
        ("json://user:password@10.0.0.1/x", "http://10.0.0.1/x"),
        ("form://192.168.1.2:9000", "http://192.168.1.2:9000"),
        ("forms://example.com/f", "https://example.com/f"),
        ("xml://[::1]:8080/x", "http://[::1]:8080/x"),
        ("xmls://example.com", "https://example.com"),
        ("JSON://localhost/y", "http://localhost/y"),
    ],
)
def test_a_generic_url_names_its_http_target(url: str, target: str) -> None:
    assert apprise_target_url(url) == target


@pytest.mark.parametrize("url", [SLACK, TELEGRAM, "mailto://user:password@example.com", "nope://x", "json://"])
def test_other_services_have_no_target_to_check(url: str) -> None:
    assert apprise_target_url(url) is None


# --- delivery


async def test_a_json_url_delivers_to_the_receiver(receiver: WebhookReceiver) -> None:
    [url] = check_apprise_urls([json_url(receiver)])
    outcome = await notify_apprise([url], title="Trading Arena: PRICE_MOVE", body="BTC-USD moved +5.00%")
    assert (outcome.delivered, outcome.error) == (True, None)
    [request] = await receiver.await_count(1)
    assert (request.method, request.path) == ("POST", "/apprise")
    document = request.json()
    assert document["message"] == "BTC-USD moved +5.00%"
    assert document["title"] == "Trading Arena: PRICE_MOVE"


async def test_a_receiver_that_is_down_is_retryable(receiver: WebhookReceiver) -> None:
    url = json_url(receiver)
    receiver.down()
    outcome = await notify_apprise([url], title="t", body="b")
    assert (outcome.delivered, outcome.status_code, outcome.retryable) == (False, None, True)
    assert outcome.error == "apprise: JSON not delivered"
    receiver.up()
    assert (await notify_apprise([url], title="t", body="b")).delivered
    await receiver.await_count(1)


async def test_a_failure_status_is_not_delivered(receiver: WebhookReceiver) -> None:
    receiver.status = 500
    outcome = await notify_apprise([json_url(receiver)], title="t", body="b")
    assert (outcome.delivered, outcome.retryable) == (False, True)
    await receiver.await_count(1)


async def test_a_redirect_is_not_followed(receiver: WebhookReceiver) -> None:
    receiver.status = 302  # Location: the receiver's /redirected
    outcome = await notify_apprise([json_url(receiver)], title="t", body="b")
    assert not outcome.delivered
    assert [r.path for r in await receiver.await_count(1)] == ["/apprise"]


async def test_nothing_to_notify_is_not_delivered() -> None:
    outcome = await notify_apprise([], title="t", body="b")
    assert (outcome.delivered, outcome.retryable) == (False, False)


async def test_a_url_that_no_longer_loads_is_not_retried() -> None:
    outcome = await notify_apprise(["nope://x"], title="t", body="b")
    assert (outcome.delivered, outcome.retryable) == (False, False)
    assert outcome.error is not None and "nope://" in outcome.error


async def test_apprise_does_not_log_urls_below_warning(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    assert logging.getLogger("apprise").getEffectiveLevel() >= logging.WARNING
    url = f"json://user:SECRET-PASSWORD@127.0.0.1:{receiver.port}/apprise"
    with caplog.at_level(logging.DEBUG, logger="arena"):
        check_apprise_urls([url])
        assert (await notify_apprise([url], title="t", body="b")).delivered
    assert "SECRET-PASSWORD" not in caplog.text
