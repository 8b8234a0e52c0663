"""The SSRF guard on its own: which URLs and addresses it lets through, and why not."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from src.core.security.outbound import BlockedDestination, OutboundGuard


def _guard(
    *, allow_http: bool = False, allowed: tuple[str, ...] = (), answers: list[str] | None = None
) -> OutboundGuard:
    async def resolve(_host: str, _port: int) -> list[str]:
        if answers is None:
            raise OSError("no such host")
        return answers

    return OutboundGuard(allow_http=allow_http, allowed_networks=allowed, resolve=resolve, timeout=1.0)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "0.0.0.0",  # noqa: S104 (an address under test, not a bind address)
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "224.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert not _guard().is_allowed(ip_address(address), 443)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert _guard().is_allowed(ip_address(address), 443)
    assert _guard().is_allowed(ip_address(address), 8443)


def test_the_allow_list_is_the_only_way_in() -> None:
    guard = _guard(allowed=("127.0.0.0/8", "fd12::/16"))

    assert guard.is_allowed(ip_address("127.0.0.1"), 443)
    assert guard.is_allowed(ip_address("::ffff:127.0.0.1"), 443), "the wrapped address is what counts"
    assert guard.is_allowed(ip_address("fd12::1"), 80)
    assert not guard.is_allowed(ip_address("10.0.0.1"), 443)
    assert not guard.is_allowed(ip_address("::1"), 443)


@pytest.mark.parametrize(
    ("allowed", "port", "allows"),
    [
        ("127.0.0.1/32", 443, True),
        ("127.0.0.1/32", 80, True),
        ("127.0.0.1/32", 6379, False),  # a bare network is the web ports only: not the host's Redis
        ("127.0.0.1/32", 5432, False),
        ("127.0.0.1/32:8443", 8443, True),
        ("127.0.0.1/32:8443", 443, False),
        ("127.0.0.1/32:8000-8999", 8080, True),
        ("127.0.0.1/32:8000-8999", 9000, False),
        ("127.0.0.1/32:*", 6379, True),
        ("[::1/128]:8443", 8443, True),
        ("[::1/128]:8443", 6379, False),
        ("::1/128", 443, True),
    ],
)
def test_an_allowance_names_its_ports(allowed: str, port: int, allows: bool) -> None:
    address = "::1" if ":" in allowed.split("/", maxsplit=1)[0] else "127.0.0.1"
    assert _guard(allowed=(allowed,)).is_allowed(ip_address(address), port) is allows


async def test_a_url_on_a_port_its_allowance_does_not_name_is_refused() -> None:
    guard = _guard(allowed=("127.0.0.1/32:8443",))

    assert guard.check_url("https://127.0.0.1:8443/hook").port == 8443
    for url in ("https://127.0.0.1:6379/", "https://127.0.0.1:5432/", "https://127.0.0.1/"):
        with pytest.raises(BlockedDestination):
            guard.check_url(url)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://example.com/hook", "destination_not_allowed"),  # plain http is off by default
        ("file:///etc/passwd", "destination_not_allowed"),
        ("gopher://example.com/", "destination_not_allowed"),
        ("ftp://example.com/", "destination_not_allowed"),
        ("https://user:secret@example.com/", "destination_not_allowed"),
        ("https://metadata.google.internal/computeMetadata/v1/", "destination_not_allowed"),
        ("https://METADATA.google.internal./", "destination_not_allowed"),
        ("https://127.0.0.1/", "destination_not_allowed"),
        ("https://[::1]/", "destination_not_allowed"),
        ("https://[::ffff:127.0.0.1]/", "destination_not_allowed"),
        ("https:///no-host", "invalid_url"),
        ("https://example.com:99999/", "invalid_url"),
        ("https://[not-an-address/", "invalid_url"),
    ],
)
def test_urls_refused_before_any_lookup(url: str, code: str) -> None:
    with pytest.raises(BlockedDestination) as refused:
        _guard().check_url(url)

    assert refused.value.code == code


def test_http_only_when_allowed() -> None:
    target = _guard(allow_http=True).check_url("http://Example.COM./hook")

    assert (target.scheme, target.host, target.port) == ("http", "example.com", 80)
    assert _guard().check_url("https://example.com/hook").port == 443


async def test_a_name_is_allowed_only_when_every_address_is_public() -> None:
    assert await _guard(answers=["93.184.215.14"]).resolve("example.com", 443) == [ip_address("93.184.215.14")]
    with pytest.raises(BlockedDestination, match="internal address"):
        await _guard(answers=["93.184.215.14", "10.0.0.7"]).resolve("mixed.example", 443)
    with pytest.raises(BlockedDestination, match="internal address"):
        await _guard(answers=["fe80::1%eth0"]).resolve("scoped.example", 443)


async def test_a_name_that_does_not_resolve_is_refused_with_its_own_code() -> None:
    for guard in (_guard(answers=None), _guard(answers=[])):
        with pytest.raises(BlockedDestination) as refused:
            await guard.check("https://nowhere.example/hook")
        assert refused.value.code == "destination_unresolvable"
