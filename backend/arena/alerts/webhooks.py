"""Our own webhooks: the body for each receiving service, an HMAC signature, one delivery attempt.

A receiver checks `X-Arena-Signature` (``sha256=<hex HMAC-SHA256 of the raw body>``) with the
rule's secret, and can drop repeats by `X-Arena-Delivery`, which stays the same across the retries
of one delivery. Redirects are never followed: the target was checked (see `targets`), where a
redirect would lead was not.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

USER_AGENT = "trading-arena-alerts"
SIGNATURE_HEADER = "X-Arena-Signature"
DELIVERY_HEADER = "X-Arena-Delivery"

DISCORD_MAX_CONTENT = 2000  # characters of a message's `content`
TELEGRAM_MAX_TEXT = 4096  # characters of sendMessage's `text`
MAX_ERROR_LENGTH = 300

# Worth another try later; any other 4xx means the request itself is wrong and will stay wrong.
_RETRYABLE_4XX = frozenset({408, 425, 429})


class WebhookFormat(StrEnum):
    GENERIC = "GENERIC"  # the alert itself, as JSON
    SLACK = "SLACK"  # an incoming webhook
    DISCORD = "DISCORD"  # a channel webhook
    TELEGRAM = "TELEGRAM"  # the Bot API's sendMessage, chat_id in the URL's query string


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    delivered: bool
    status_code: int | None  # the HTTP status, when there was a response
    error: str | None  # short and free of secrets: fit to store and show
    retryable: bool


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of `body` with `secret`, compared in constant time."""
    if not header:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def webhook_body(fmt: WebhookFormat, alert: dict[str, Any]) -> bytes:
    """The JSON body for `fmt`. `alert` holds id (of this firing), alertId (the rule), kind,
    message, at (ISO 8601) and payload."""
    message = str(alert["message"])
    document: dict[str, Any]
    match fmt:
        case WebhookFormat.GENERIC:
            keys = ("id", "alertId", "kind", "message", "at", "payload")
            document = {key: alert[key] for key in keys}
        case WebhookFormat.SLACK:
            document = {"text": message}
        case WebhookFormat.DISCORD:
            document = {"content": _truncate(message, DISCORD_MAX_CONTENT)}
        case WebhookFormat.TELEGRAM:
            document = {"text": _truncate(message, TELEGRAM_MAX_TEXT)}
    return json.dumps(document, separators=(",", ":"), sort_keys=False).encode()


def _describe(error: BaseException, *, hide: tuple[str, ...]) -> str:
    """Class name and message, without `hide` (the URL may hold a token), at most 300 characters."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    for secret in hide:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _truncate(text, MAX_ERROR_LENGTH)


def _outcome_of(status: int) -> DeliveryOutcome:
    if 200 <= status < 300:
        return DeliveryOutcome(delivered=True, status_code=status, error=None, retryable=False)
    if 300 <= status < 400:
        return DeliveryOutcome(False, status, f"HTTP {status}: redirects are not followed", retryable=False)
    retryable = status >= 500 or status in _RETRYABLE_4XX
    return DeliveryOutcome(False, status, f"HTTP {status}", retryable=retryable)


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    *,
    body: bytes,
    secret: str | None,
    delivery_id: str,
    timeout: float = 10.0,
) -> DeliveryOutcome:
    """POST `body` to `url` once; `timeout` bounds the whole attempt. Never raises for what the
    network or the receiver does."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: delivery_id,
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    hide = (url, secret or "")
    try:
        async with asyncio.timeout(timeout):
            # streamed and left unread: a receiver's answer is its status; its body could be huge
            async with client.stream(
                "POST", url, content=body, headers=headers, timeout=timeout, follow_redirects=False
            ) as response:
                return _outcome_of(response.status_code)
    except (TimeoutError, httpx.TimeoutException) as e:
        return DeliveryOutcome(False, None, f"{type(e).__name__}: no response within {timeout:g} s", retryable=True)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
        return DeliveryOutcome(False, None, _describe(e, hide=hide), retryable=False)
    except httpx.HTTPError as e:  # connection refused or reset, DNS, protocol errors
        return DeliveryOutcome(False, None, _describe(e, hide=hide), retryable=True)


def backoff_seconds(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """The wait before retry number `attempt` (1 for the first retry): base·2^(attempt−1), at most
    `cap`.

    No jitter: jitter spreads many clients retrying against one server, while each delivery here
    goes to its own rule's target from one process; without it tests can assert exact delays, and
    a caller that needs spreading can add its own.
    """
    exponent = min(max(attempt, 1) - 1, 64)  # 2.0**1024 would overflow long after the cap is hit
    return float(min(cap, base * 2.0**exponent))
