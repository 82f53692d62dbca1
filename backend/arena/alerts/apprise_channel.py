"""Every channel other than our own webhooks, through Apprise (e-mail, ntfy, Pushover, Matrix, ...).

Apprise URLs carry their service's tokens, so nothing here logs or reports one: refusals name the
scheme only, and errors name the service ("JSON", "Slack"). Apprise itself masks secrets in what it
logs at ERROR and WARNING (its secure logging, on by default and kept on here), but its DEBUG and
INFO lines are chattier; the "apprise" logger is therefore set to WARNING on import, unless the
operator's logging configuration already gave it a level.

Apprise is synchronous; `notify_apprise` runs it in a worker thread. Apprise reports a failure as
a False result, not an exception, and gives no HTTP status; its reasons go to its log.
"""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import quote

import apprise
from apprise.plugins.base import NotifyBase

from arena.alerts.targets import MAX_URL_LENGTH, TargetRefused
from arena.alerts.webhooks import DeliveryOutcome

logger = logging.getLogger(__name__)

MAX_APPRISE_URLS = 10

_apprise_logger = logging.getLogger("apprise")
if _apprise_logger.level == logging.NOTSET:
    _apprise_logger.setLevel(logging.WARNING)

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")

# Apprise's generic HTTP services, which post to whatever host the URL names. Not covered: services
# that may be self-hosted (ntfy://host, gotify://, matrix://, mmost://, mailto:// with an SMTP host,
# ...), whose host field means something different per plugin.
_GENERIC_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})


def _asset() -> apprise.AppriseAsset:
    return apprise.AppriseAsset(secure_logging=True)


def _scheme(url: str) -> str:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else ""


def _load(url: str) -> NotifyBase | None:
    if not url or len(url) > MAX_URL_LENGTH or any(ch.isspace() for ch in url):
        return None
    service = apprise.Apprise.instantiate(url, asset=_asset())
    if service is None:
        return None
    # the private-address guard checked where the URL points, not where a redirect would lead
    service.redirects = False
    return service


def _refusal(index: int, url: str) -> TargetRefused:
    scheme = _scheme(url)
    named = f"{scheme}://" if scheme else "a URL without a scheme"
    return TargetRefused("INVALID_URL", f"notification URL #{index + 1} ({named}) is not one Apprise can use")


def check_apprise_urls(urls: list[str]) -> list[str]:
    """The URLs, stripped, when there are at most 10 and Apprise can load each; TargetRefused
    (INVALID_URL) otherwise."""
    if len(urls) > MAX_APPRISE_URLS:
        raise TargetRefused("INVALID_URL", f"at most {MAX_APPRISE_URLS} notification URLs are accepted")
    checked = []
    for index, url in enumerate(urls):
        stripped = url.strip()
        if _load(stripped) is None:
            raise _refusal(index, stripped)
        checked.append(stripped)
    return checked


def apprise_target_url(url: str) -> str | None:
    """The http(s) URL that a generic Apprise URL (json://, jsons://, form://, xml://, ...) posts
    to, for the private-address guard; None for the services with fixed public hosts (and for a
    URL Apprise cannot load)."""
    if _scheme(url.strip()) not in _GENERIC_SCHEMES:
        return None
    service = _load(url.strip())
    if service is None:
        return None
    scheme = "https" if service.secure else "http"
    port = f":{service.port}" if isinstance(service.port, int) else ""
    path = quote(getattr(service, "fullpath", "") or "", safe="/%:@!$&'()*+,;=-._~")
    return f"{scheme}://{service.host}{port}{path}"


def _notify(urls: list[str], title: str, body: str) -> DeliveryOutcome:
    notifier = apprise.Apprise(asset=_asset())
    for index, url in enumerate(urls):
        service = _load(url)
        if service is None:
            return DeliveryOutcome(False, None, str(_refusal(index, url)), retryable=False)
        notifier.add(service)
    result = notifier.notify(body=body, title=title)
    if result:
        return DeliveryOutcome(delivered=True, status_code=None, error=None, retryable=False)
    # apprise ≥ 2 returns a result per service; 1.x a bare False
    failed = [service.name for service in getattr(result, "results", ()) if not service]
    which = ", ".join(failed) if failed else "the notification"
    return DeliveryOutcome(False, None, f"apprise: {which} not delivered"[:300], retryable=True)


async def notify_apprise(urls: list[str], *, title: str, body: str) -> DeliveryOutcome:
    """Send to every URL at once. Not delivered unless every service took it; retrying sends again
    to all of them, those that succeeded included (call once per URL to retry each on its own)."""
    if not urls:
        return DeliveryOutcome(False, None, "no notification URLs", retryable=False)
    try:
        return await asyncio.to_thread(_notify, urls, title, body)
    except Exception as e:  # Apprise catches its services' errors; anything else is its own bug
        # the exception's text may quote a URL, tokens and all: the class name only, unless debugging
        logger.error("apprise notify failed: %s", type(e).__name__)
        logger.debug("apprise notify failed", exc_info=True)
        return DeliveryOutcome(False, None, f"apprise: {type(e).__name__}", retryable=True)
