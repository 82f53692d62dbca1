"""The webhook target guard: no loopback, private, link-local or otherwise non-public addresses
unless the operator allows them; only well-formed http(s) URLs at all."""

from __future__ import annotations

import pytest

from arena.alerts.targets import TargetRefused, check_target, check_url_syntax

NON_PUBLIC = [
    "http://127.0.0.1/hook",
    "http://10.1.2.3/hook",
    "https://192.168.0.10:8443/hook",
    "http://172.16.5.4/",
    "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "http://0.0.0.0/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://224.0.0.1/",  # multicast, which `is_global` alone lets through
    "http://[::1]/hook",
    "http://[fc00::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fec0::1]/hook",  # IPv6 site-local
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize("url", NON_PUBLIC)
async def test_a_non_public_literal_is_refused(url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target(url, allow_private=False)
    assert refused.value.code == "PRIVATE_TARGET"


@pytest.mark.parametrize("url", NON_PUBLIC)
async def test_a_non_public_literal_is_accepted_when_private_targets_are_allowed(url: str) -> None:
    await check_target(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",
        "https://93.184.216.34:8443/x?y=1",
        "http://[2606:4700::1111]/",
        "http://[::ffff:93.184.216.34]/",
    ],
)
async def test_a_public_literal_is_accepted_without_dns(url: str) -> None:
    await check_target(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://localhost/hook", "http://LocalHost:8080/hook"])
async def test_localhost_is_refused_because_it_resolves_to_loopback(url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target(url, allow_private=False)
    assert refused.value.code == "PRIVATE_TARGET"
    assert "localhost" in refused.value.message.lower()
    await check_target(url, allow_private=True)


@pytest.mark.parametrize("url", ["http://2130706433/", "http://127.1/", "http://0x7f000001/"])
async def test_numeric_spellings_of_loopback_are_refused(url: str) -> None:
    # not literals to `ipaddress`, but the resolver reads them as 127.0.0.1 (and so would a client)
    with pytest.raises(TargetRefused) as refused:
        await check_target(url, allow_private=False)
    assert refused.value.code == "PRIVATE_TARGET"


async def test_a_host_that_does_not_resolve_is_an_invalid_url() -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target("https://no-such-host.invalid/hook", allow_private=True)
    assert refused.value.code == "INVALID_URL"
    assert "does not resolve" in refused.value.message


INVALID = [
    "ftp://93.184.216.34/file",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http:///hook",
    "http://",
    "hook.example.com/path",
    "http://user:pass@93.184.216.34/hook",
    "http://user@93.184.216.34/hook",
    "http://93.184.216.34/ho ok",
    "http://93.184.216.34/hook\r\nX-Injected: 1",
    "http://93.184.216.34/\x00",
    "http://93.184.216.34:99999/",
    "http://93.184.216.34:0/",
    "http://[::1/",
    "http://93.184.216.34/" + "a" * 2048,
    "",
]


@pytest.mark.parametrize("url", INVALID)
async def test_a_malformed_url_is_refused_even_when_private_targets_are_allowed(url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        check_url_syntax(url)
    assert refused.value.code == "INVALID_URL"
    with pytest.raises(TargetRefused) as refused:
        await check_target(url, allow_private=True)
    assert refused.value.code == "INVALID_URL"


def test_syntax_check_strips_and_keeps_the_url() -> None:
    assert check_url_syntax("  https://hooks.example.com/a?b=c  ") == "https://hooks.example.com/a?b=c"
    assert check_url_syntax("HTTP://Example.com/X") == "HTTP://Example.com/X"


def test_a_refusal_does_not_repeat_the_url() -> None:
    # a webhook URL's path often is its token (Telegram, Slack)
    with pytest.raises(TargetRefused) as refused:
        check_url_syntax("ftp://example.com/bot123456:SECRET-TOKEN/x")
    assert "SECRET-TOKEN" not in str(refused.value)


async def test_a_private_refusal_does_not_repeat_the_path() -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target("http://10.0.0.1/bot123456:SECRET-TOKEN/sendMessage", allow_private=False)
    assert "SECRET-TOKEN" not in str(refused.value)


def test_target_refused_is_a_value_error_with_a_code() -> None:
    error = TargetRefused("PRIVATE_TARGET", "no")
    assert isinstance(error, ValueError)
    assert (error.code, error.message, str(error)) == ("PRIVATE_TARGET", "no", "no")
