"""Where a webhook may point: a guard against alerts being used to probe the operator's network.

A rule's URL is checked when the rule is created and again before every delivery, since what a
name resolves to can change in between. Refusals name the host at most, never the whole URL: a
webhook URL often carries a token in its path or query (Telegram's bot token, Slack's secret path).

What this cannot catch: a name that resolves to a public address here and to a private one a moment
later when the HTTP client resolves it again (DNS rebinding within the same delivery).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import unicodedata
from typing import Literal
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048

RefusalCode = Literal["INVALID_URL", "PRIVATE_TARGET"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"http": 80, "https": 443}

# NAT64 gateways translate these to the embedded IPv4 address, private ones included.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class TargetRefused(ValueError):
    """A URL we will not deliver to; `code` is "INVALID_URL" or "PRIVATE_TARGET"."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code: str = code
        self.message = message


def _has_space_or_control(text: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def _split(url: str) -> tuple[SplitResult, str, int]:
    """The URL's parts, host and port (the scheme's default when none is given)."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused("INVALID_URL", f"the URL is longer than {MAX_URL_LENGTH} characters")
    if _has_space_or_control(url):
        raise TargetRefused("INVALID_URL", "the URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError as e:
        raise TargetRefused("INVALID_URL", f"the URL cannot be parsed ({e})") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise TargetRefused("INVALID_URL", "only http and https URLs are accepted")
    if not parts.hostname:
        raise TargetRefused("INVALID_URL", "the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("INVALID_URL", "the URL must not contain a user name or password")
    if port == 0:
        raise TargetRefused("INVALID_URL", "the URL's port must not be 0")
    return parts, parts.hostname, port or _DEFAULT_PORTS[parts.scheme.lower()]


def check_url_syntax(url: str) -> str:
    """The URL, stripped, when it is an http(s) URL with a host and no credentials; TargetRefused
    (INVALID_URL) otherwise."""
    stripped = url.strip()
    _split(stripped)
    return stripped


def is_private_address(address: IPAddress) -> bool:
    """True for anything that is not a plain public unicast address, including IPv6 forms that
    embed a private IPv4 address (IPv4-mapped, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            # a socket connecting to ::ffff:a.b.c.d reaches a.b.c.d: that address decides
            return is_private_address(address.ipv4_mapped)
        embedded = address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if (embedded is not None and is_private_address(embedded)) or address.is_site_local:
            return True
    # is_global alone lets multicast through (224.0.0.0/4 is "global"), hence the explicit checks
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError; UnicodeError: a name IDNA refuses
        raise TargetRefused("INVALID_URL", f"the host {host!r} does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise TargetRefused("INVALID_URL", f"the host {host!r} does not resolve")
    return addresses


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is malformed (INVALID_URL), whose host does not resolve (INVALID_URL), or
    any of whose addresses is not public (PRIVATE_TARGET, unless `allow_private`)."""
    _, host, port = _split(url.strip())
    literal = _literal(host)
    addresses = [literal] if literal is not None else await _resolve(host, port)
    if allow_private:
        return
    for address in addresses:
        if is_private_address(address):
            where = f"the address {address}" if literal is not None else f"{host!r} resolves to {address}, which"
            raise TargetRefused("PRIVATE_TARGET", f"{where} is not a public address")
