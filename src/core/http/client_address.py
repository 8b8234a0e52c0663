"""Who is calling: the client address, with an opt-in and bounded trust in proxies.

By default the client is the TCP peer and `X-Forwarded-For` is ignored: anyone can send
that header, and believing it would let a client pick a fresh rate-limit key per request.
With `TRUSTED_PROXIES` set, a request whose peer is one of those proxies is attributed to
the right-most address in `X-Forwarded-For` that is not itself a trusted proxy: the first
hop a trusted proxy saw, which the client cannot forge.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Final

from litestar.types import Scope

__all__ = ("ClientAddressResolver", "address_group")

_FORWARDED_FOR: Final = b"x-forwarded-for"
_UNKNOWN: Final = "unknown"


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    value = value.strip()
    if value.startswith("["):  # "[2001:db8::1]:443"
        value = value[1 : value.find("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.partition(":")[0]
    try:
        return ip_address(value)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)  # the active callers' addresses, parsed once each
def address_group(address: str, ipv6_prefix: int) -> str:
    """What a per-address limit counts an address as: an IPv4 address itself; an IPv6 one
    by its network of `ipv6_prefix` bits, since one host is given a whole /64 and could
    otherwise take a fresh budget per request; an IPv4-mapped IPv6 address as its IPv4."""
    parsed = _parse(address)
    if parsed is None:
        return address
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ip_network((parsed, ipv6_prefix), strict=False))
    return str(parsed)


class ClientAddressResolver:
    __slots__ = ("_trusted",)

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted: tuple[IPv4Network | IPv6Network, ...] = tuple(
            ip_network(network, strict=False) for network in trusted_proxies
        )

    def _is_trusted(self, address: IPv4Address | IPv6Address) -> bool:
        return any(address in network for network in self._trusted)

    def resolve(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = client[0] if client else _UNKNOWN
        if not self._trusted:
            return peer
        peer_address = _parse(peer)
        if peer_address is None or not self._is_trusted(peer_address):
            return peer
        forwarded = b",".join(value for name, value in scope["headers"] if name == _FORWARDED_FOR)
        hops = [hop for hop in forwarded.decode("latin-1").split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _parse(hop)
            if address is None:
                return peer  # garbage in the chain: trust nothing beyond our own proxy
            if not self._is_trusted(address):
                return str(address)
        return str(_parse(hops[0])) if hops else peer
