"""Calls to addresses that users give us (webhooks), without becoming their proxy into
our network (SSRF).

A target is refused unless:
- its scheme is https (or http when WEBHOOK_ALLOW_HTTP is set), it carries no
  credentials, and its host is not a known metadata name;
- every address its host resolves to is public: not loopback, private, link-local,
  CGNAT, unique-local, multicast, reserved or unspecified, including IPv4 addresses
  wrapped in IPv6 (mapped, 6to4, NAT64) -- unless it is in OUTBOUND_ALLOWED_NETWORKS on
  a port that entry names (a bare network: 80 and 443 only, so allowing a receiver does
  not open the same host's Redis or PostgreSQL).

The check runs when a URL is registered and again at every delivery, and the HTTP client
connects only to the addresses that were checked: `GuardedResolver` is the shared
aiohttp session's resolver, so there is no second DNS answer for a rebinding attacker
to swap in. Host names in any IP encoding (`2130706433`, `0x7f.1`, `0177.0.0.1`) are
resolved the way the socket layer would read them, then checked; IP literals in brackets
never reach a resolver in aiohttp, so `check_url` checks them itself. Redirects are never
followed (the caller passes `allow_redirects=False`).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

from src.core.errors import FieldError, InvalidInput
from src.core.settings import parse_network_allowance
from src.core.text import BIDI_CONTROLS, END, INVISIBLE

__all__ = (
    "URL_MAX_LENGTH",
    "URL_PATTERN",
    "BlockedDestination",
    "GuardedResolver",
    "OutboundGuard",
    "Resolve",
    "Target",
)

# What a request body's URL must look like before the guard sees it: http(s), and no
# spaces, control, bidirectional or invisible characters anywhere (a URL has none; NUL
# cannot even be stored; the others would show a URL other than the one called).
URL_PATTERN: Final = rf"^https?://[^\x00-\x20\x7f-\x9f{BIDI_CONTROLS}{INVISIBLE}]+{END}"
URL_MAX_LENGTH: Final = 2048

type Address = IPv4Address | IPv6Address
type Network = IPv4Network | IPv6Network
# host, port -> the addresses it resolves to (tests pass a stub).
type Resolve = Callable[[str, int], Awaitable[list[str]]]

_BLOCKED_NETWORKS: Final[tuple[Network, ...]] = tuple(
    ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT (shared address space)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. 169.254.169.254 (cloud metadata)
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. broadcast
        "::/128",
        "::1/128",
        "fc00::/7",  # unique-local, incl. fd00:ec2::254 (AWS metadata over IPv6)
        "fe80::/10",
        "ff00::/8",
        "100::/64",
        "2001:db8::/32",
    )
)
_METADATA_NAMES: Final = frozenset(
    {"metadata.google.internal", "metadata", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)


class BlockedDestination(InvalidInput):
    """A URL we refuse to call. Raised at registration (a 400) and at delivery time."""

    def __init__(self, detail: str, *, pointer: str = "#/url", code: str = "destination_not_allowed") -> None:
        super().__init__(detail, errors=(FieldError(pointer=pointer, detail=detail),), code=code)


class Target:
    __slots__ = ("host", "port", "scheme")

    def __init__(self, scheme: str, host: str, port: int) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ip_network("64:ff9b::/96"):  # NAT64
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


async def _system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class OutboundGuard:
    __slots__ = ("_allow_http", "_allowed", "_resolve", "_timeout")

    def __init__(
        self, *, allow_http: bool, allowed_networks: Iterable[str], resolve: Resolve | None = None, timeout: float
    ) -> None:
        self._allow_http = allow_http
        self._allowed = tuple(parse_network_allowance(entry) for entry in allowed_networks)
        self._resolve = resolve or _system_resolve
        self._timeout = timeout

    def is_allowed(self, address: Address, port: int) -> bool:
        """Public addresses on any port; internal ones only as OUTBOUND_ALLOWED_NETWORKS says."""
        if any(allowance.allows(address, port) for allowance in self._allowed):
            return True
        if isinstance(address, IPv6Address) and (embedded := _embedded_ipv4(address)) is not None:
            return self.is_allowed(embedded, port)
        return not (
            any(address in network for network in _BLOCKED_NETWORKS)
            or address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        )

    def check_url(self, url: str) -> Target:
        """Scheme, credentials, names and IP literals; host names are checked on resolution."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise BlockedDestination("The URL cannot be parsed.", code="invalid_url") from None
        allowed_schemes = {"https", "http"} if self._allow_http else {"https"}
        if parts.scheme not in allowed_schemes:
            raise BlockedDestination(f"Only {' or '.join(sorted(allowed_schemes))} URLs are accepted.")
        if parts.username is not None or parts.password is not None:
            raise BlockedDestination("URLs with credentials are not accepted.")
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            raise BlockedDestination("The URL has no host.", code="invalid_url")
        if host in _METADATA_NAMES:
            raise BlockedDestination("Cloud metadata hosts are not allowed.")
        try:
            literal: Address | None = ip_address(host)
        except ValueError:
            literal = None
        target = Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80))
        if literal is not None and not self.is_allowed(literal, target.port):
            raise BlockedDestination("Private, loopback and other internal addresses are not allowed.")
        return target

    async def resolve(self, host: str, port: int) -> list[Address]:
        """Every address of `host`, each of them allowed; else BlockedDestination."""
        try:
            async with asyncio.timeout(self._timeout):
                found = await self._resolve(host, port)
        except (OSError, TimeoutError, UnicodeError):
            raise BlockedDestination(f"The host {host!r} does not resolve.", code="destination_unresolvable") from None
        addresses = [ip_address(text.split("%", 1)[0]) for text in found]
        if not addresses:
            raise BlockedDestination(f"The host {host!r} does not resolve.", code="destination_unresolvable")
        if not all(self.is_allowed(address, port) for address in addresses):
            raise BlockedDestination(f"The host {host!r} resolves to an internal address, which is not allowed.")
        return addresses

    async def check(self, url: str) -> Target:
        """The registration-time check: the URL and every address its host has now."""
        target = self.check_url(url)
        await self.resolve(target.host, target.port)
        return target


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver for the shared session: resolves through the guard, and aiohttp
    then connects to exactly these (checked) addresses."""

    def __init__(self, guard: OutboundGuard) -> None:
        self._guard = guard

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[ResolveResult]:
        addresses = await self._guard.resolve(host, port)
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None
